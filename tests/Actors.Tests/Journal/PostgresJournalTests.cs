using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Actors.Tests.Regions;

namespace Dpr.Actors.Tests.Journal;

/// <summary>The real journal on PostgreSQL 15 (a cluster of the test's own, on a free port): swaps survive the actor system.</summary>
public sealed class PostgresJournalTests
{
    private static ActorSystem Start(JournalSettings journal) =>
        journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    [PostgresFact]
    public async Task Swaps_are_recovered_from_postgresql_after_a_restart()
    {
        using var cluster = TemporaryPostgresCluster.Start();
        var journal = cluster.Journal;
        var timeout = TimeSpan.FromSeconds(20);
        using (var system = Start(journal))
        {
            var manager = system.ActorOf(new SimulatedRegion().Props(new RegionOptions(SnapshotEvery: 3, JournalPluginId: JournalSettings.RegionsJournal)), "region");
            foreach (var module in new[] { "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int32" })
            {
                Assert.IsType<RegionReplies.Loaded>(await manager.Ask<IRegionReply>(new RegionCommands.Load(module), timeout));
            }
            await system.Terminate();
        }

        using (var system = Start(journal))
        {
            var fresh = new SimulatedRegion();
            var manager = system.ActorOf(fresh.Props(new RegionOptions(JournalPluginId: JournalSettings.RegionsJournal)), "region");
            var state = await manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), timeout);

            // Four swaps on record, plus the reload if it already ran.
            Assert.InRange(state.Swaps, 4, 5);
            Assert.Equal("conv5x5_int32", state.Module ?? state.PendingModule);
            // The new process's board is empty: the module does not answer, so it is reloaded.
            await AwaitLoaded(manager, fresh);
            await system.Terminate();
        }
    }

    private static async Task AwaitLoaded(IActorRef manager, SimulatedRegion region)
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
