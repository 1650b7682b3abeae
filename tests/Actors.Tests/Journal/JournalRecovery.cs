using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Actors.Tests.Regions;

namespace Dpr.Actors.Tests.Journal;

/// <summary>
/// The scenario every real journal must pass: four swaps, the actor system stops, a new one on the
/// same database recovers them, finds the (new, empty) simulated board does not hold the module, and
/// reloads it.
/// </summary>
public static class JournalRecovery
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static RegionOptions Options(int snapshotEvery = 100) => new(SnapshotEvery: snapshotEvery, JournalPluginId: JournalSettings.RegionsJournal);

    public static async Task SwapsSurviveARestart(JournalSettings journal)
    {
        using (var system = Start(journal))
        {
            var manager = system.ActorOf(new SimulatedRegion().Props(Options(snapshotEvery: 3)), "region");
            foreach (var module in new[] { "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int32" })
            {
                Assert.IsType<RegionReplies.Loaded>(await manager.Ask<IRegionReply>(new RegionCommands.Load(module), Timeout));
            }
            await system.Terminate();
        }

        using (var system = Start(journal))
        {
            var fresh = new SimulatedRegion();
            var manager = system.ActorOf(fresh.Props(Options()), "region");
            var state = await manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), Timeout);

            // Four swaps on record, plus the reload if it already ran.
            Assert.InRange(state.Swaps, 4, 5);
            Assert.Equal("conv5x5_int32", state.Module ?? state.PendingModule);
            await AwaitReloaded(manager, fresh);
            await system.Terminate();
        }
    }

    private static ActorSystem Start(JournalSettings journal) =>
        journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    private static async Task AwaitReloaded(IActorRef manager, SimulatedRegion region)
    {
        for (var i = 0; i < 200; i++)
        {
            var state = await manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), TimeSpan.FromSeconds(5));
            if (state.Status == RegionStatus.Loaded && region.Board.Device.ModuleIn(SimulatedRegion.Partition) == "conv5x5_int32")
            {
                Assert.Equal(5, state.Swaps);
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail("the partition was not reloaded after the restart");
    }
}
