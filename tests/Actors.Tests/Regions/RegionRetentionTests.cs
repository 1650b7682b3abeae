using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.Actors.Tests.Regions;

/// <summary>
/// A region manager on the real SQLite journal deletes only the events its snapshot covers that are
/// older than the swap history, keeps only its latest snapshot, and recovers the same partition after.
/// </summary>
public sealed class RegionRetentionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan History = TimeSpan.FromHours(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-region-retention-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    private static string PersistenceId => RegionManagerActor.PersistenceIdFor("pynq-z2", SimulatedRegion.Partition.Name);

    private ActorSystem Start() =>
        JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db")).CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    private IActorRef Manager(ActorSystem system, SimulatedRegion region) => system.ActorOf(
        region.Props(new RegionOptions(SnapshotEvery: 4, JournalPluginId: JournalSettings.RegionsJournal, SwapHistoryKept: History), _clock), "region");

    /// <summary>The sequence numbers of the events still readable (Akka.Persistence.Sql keeps the highest deleted row, marked, to remember the sequence number).</summary>
    private List<long> Events() => Query("dpr.regions.db", $"SELECT sequence_number FROM journal WHERE persistence_id = '{PersistenceId}' AND deleted = 0 ORDER BY sequence_number");

    private List<long> Snapshots() => Query("dpr.snapshots.db", $"SELECT sequence_number FROM snapshot WHERE persistence_id = '{PersistenceId}'");

    private List<long> Query(string file, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, file), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<long>();
        while (reader.Read())
        {
            values.Add(reader.GetInt64(0));
        }
        return values;
    }

    private static async Task LoadAsync(IActorRef manager, params string[] modules)
    {
        foreach (var module in modules)
        {
            Assert.IsType<RegionReplies.Loaded>(await manager.Ask<IRegionReply>(new RegionCommands.Load(module), Timeout));
        }
    }

    [Fact]
    public async Task Events_covered_by_a_snapshot_and_older_than_the_swap_history_are_deleted_and_the_rest_kept()
    {
        using (var system = Start())
        {
            var manager = Manager(system, new SimulatedRegion());
            // Six swaps, two events each: snapshots at 4, 8 and 12, all within the history.
            await LoadAsync(manager, "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int16");
            await Eventually.TrueAsync(() => Snapshots() is [12], () => $"snapshots at {string.Join(", ", Snapshots())}", Timeout);
            Assert.Equal(12, Events().Count);

            _clock.Advance(History * 2);
            // Two more swaps: the snapshot at 16 finds the events up to 12 past the history; 13 to 16 are not.
            await LoadAsync(manager, "conv3x3_int32", "conv5x5_int8");
            await Eventually.TrueAsync(() => Events() is [13, 14, 15, 16] && Snapshots() is [16], () => $"events {string.Join(", ", Events())}, snapshots at {string.Join(", ", Snapshots())}", Timeout);
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();

        using (var system = Start())
        {
            var manager = Manager(system, new SimulatedRegion());
            var state = await manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), Timeout);

            // Recovered from the snapshot at 16 (the new simulated board is empty, so a reload may already be under way).
            Assert.InRange(state.SequenceNr, 16, 18);
            Assert.InRange(state.Swaps, 8, 9);
            Assert.Equal("conv5x5_int8", state.Module ?? state.PendingModule);
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Events_younger_than_the_swap_history_are_kept_though_a_snapshot_covers_them()
    {
        using var system = Start();
        var manager = Manager(system, new SimulatedRegion());

        await LoadAsync(manager, "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int16", "conv3x3_int8", "conv5x5_int16");
        _clock.Advance(History * 0.9);
        await LoadAsync(manager, "conv3x3_int32", "conv5x5_int8");

        await Eventually.TrueAsync(() => Snapshots() is [16], () => $"snapshots at {string.Join(", ", Snapshots())}", Timeout);
        Assert.Equal(16, Events().Count);
        await system.Terminate();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
