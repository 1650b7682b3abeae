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

    private static RegionOptions Options(int snapshotEvery = 100) => new(SnapshotEvery: snapshotEvery, JournalPluginId: JournalSettings.RegionsJournal, SnapshotPluginId: JournalSettings.RegionsSnapshots);

    /// <param name="betweenRuns">What happens to the stored data while no actor system runs (a lost snapshot).</param>
    public static async Task SwapsSurviveARestart(JournalSettings journal, Action? betweenRuns = null)
    {
        using (var system = Start(journal))
        {
            // Snapshots are stored beside the swaps, not before their replies: what the next run finds (the snapshot at
            // 6, at 3, or none) must not depend on how fast the snapshot store was when the system stopped.
            var newest = EventStreamWait.Next<Observed.RegionSnapshotted>(system, e => e.SequenceNr >= 6);
            var manager = system.ActorOf(new SimulatedRegion().Props(Options(snapshotEvery: 3)), "region");
            foreach (var module in new[] { "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int32" })
            {
                Assert.IsType<RegionReplies.Loaded>(await manager.Ask<IRegionReply>(new RegionCommands.Load(module), Timeout));
            }
            await newest.WaitAsync(Timeout);
            await system.Terminate();
        }
        betweenRuns?.Invoke();

        using (var system = Start(journal))
        {
            // Subscribed before the manager starts, so its reload cannot be missed.
            var reloaded = EventStreamWait.Next<Observed.RegionEvent>(system, e => e.Event is RegionEvents.SwapCompleted or RegionEvents.SwapFailed);
            var fresh = new SimulatedRegion();
            var manager = system.ActorOf(fresh.Props(Options()), "region");
            var state = await manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), Timeout);

            // Four swaps on record, plus the reload if it already ran.
            Assert.InRange(state.Swaps, 4, 5);
            Assert.Equal("conv5x5_int32", state.Module ?? state.PendingModule);
            var reload = await reloaded.WaitAsync(Timeout);
            Assert.Equal(RegionStatus.Loaded, reload.State.Status);
            Assert.Equal("conv5x5_int32", reload.State.Module);
            Assert.Equal(5, reload.State.Swaps);
            Assert.Equal("conv5x5_int32", fresh.Board.Device.ModuleIn(SimulatedRegion.Partition));
            await system.Terminate();
        }
    }

    private static ActorSystem Start(JournalSettings journal) =>
        journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
}
