using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Tests.Journal;

/// <summary>
/// The region managers' snapshot store on SQLite (<see cref="SqliteRegionsSnapshotStore"/>): its kept-open statements
/// write the rows the plugin writes, the plugin loads them, a deletion removes exactly the older snapshots of one
/// region, and a save that meets another writer's lock goes through the plugin's path.
/// </summary>
public sealed class SqliteRegionsSnapshotStoreTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-regions-snapshots-{Guid.NewGuid():N}");

    private JournalSettings Journal => JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db"));

    [Fact]
    public void The_regions_snapshot_store_on_sqlite_is_the_kept_open_one_and_on_postgresql_the_plugin()
    {
        Assert.Equal(typeof(SqliteRegionsSnapshotStore).FullName + ", Dpr.Actors", Journal.Config.GetString(JournalSettings.RegionsSnapshots + ".class"));
        var postgres = JournalSettings.PostgreSql("Host=db;Database=dpr;Username=dpr").Config;
        Assert.Equal(postgres.GetString("akka.persistence.snapshot-store.sql.class"), postgres.GetString(JournalSettings.RegionsSnapshots + ".class"));
    }

    [Fact]
    public async Task Its_rows_are_the_ones_the_plugin_writes_and_the_plugin_loads_them()
    {
        var state = RegionState.Initial with { Status = RegionStatus.Loaded, Module = "conv3x3_int16", Swaps = 7 };
        using (var system = Start())
        {
            // The same snapshot through the kept-open statement (regions store) and through the plugin (the default store, same file and table).
            await Save(system, JournalSettings.RegionsSnapshots, "region-a", 4, state);
            await Save(system, "akka.persistence.snapshot-store.sql", "region-b", 4, state);
            await system.Terminate();
        }
        var rows = Rows();
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0] with { PersistenceId = "region-b" }, rows[1]);

        using (var system = Start())
        {
            var loaded = await Store(system, JournalSettings.RegionsSnapshots).Ask<LoadSnapshotResult>(new LoadSnapshot("region-a", SnapshotSelectionCriteria.Latest, long.MaxValue), Timeout);
            Assert.Equal(4, loaded.Snapshot.Metadata.SequenceNr);
            Assert.Equal(state, loaded.Snapshot.Snapshot);
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_deletion_up_to_a_sequence_number_removes_the_older_snapshots_of_that_region_only()
    {
        using var system = Start();
        foreach (var sequenceNr in new long[] { 100, 200, 300 })
        {
            await Save(system, JournalSettings.RegionsSnapshots, "region-a", sequenceNr, RegionState.Initial with { Swaps = sequenceNr / 2 });
        }
        await Save(system, JournalSettings.RegionsSnapshots, "region-b", 100, RegionState.Initial);

        // Up to and including 200 (a region manager asks for everything before the snapshot it has just stored).
        await Store(system, JournalSettings.RegionsSnapshots).Ask<DeleteSnapshotsSuccess>(new DeleteSnapshots("region-a", new SnapshotSelectionCriteria(200)), Timeout);

        Assert.Equal([("region-a", 300L), ("region-b", 100L)], Rows().Select(r => (r.PersistenceId, r.SequenceNr)));
        await system.Terminate();
    }

    [Fact]
    public async Task A_save_held_up_by_another_writer_is_stored_through_the_plugin_once_the_lock_is_free()
    {
        using var system = Start();
        await Save(system, JournalSettings.RegionsSnapshots, "region-a", 100, RegionState.Initial);

        using var outage = new SqliteJournalOutage(Journal, TimeProvider.System);
        outage.Start(SqliteRegionsJournal.BusyWait * 3);
        await Save(system, JournalSettings.RegionsSnapshots, "region-a", 200, RegionState.Initial with { Swaps = 100 });

        Assert.Null(outage.Until);
        Assert.Equal([100L, 200L], Rows().Select(r => r.SequenceNr));
        // And the kept-open statement works again after it.
        await Save(system, JournalSettings.RegionsSnapshots, "region-a", 300, RegionState.Initial with { Swaps = 150 });
        Assert.Equal([100L, 200L, 300L], Rows().Select(r => r.SequenceNr));
        await system.Terminate();
    }

    private ActorSystem Start() => Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    private static IActorRef Store(ActorSystem system, string plugin) => Persistence.Instance.Apply(system).SnapshotStoreFor(plugin);

    private static async Task Save(ActorSystem system, string plugin, string persistenceId, long sequenceNr, RegionState state)
    {
        var saved = await Store(system, plugin).Ask<ISnapshotResponse>(new SaveSnapshot(new SnapshotMetadata(persistenceId, sequenceNr, DateTime.UtcNow), state), Timeout);
        Assert.IsType<SaveSnapshotSuccess>(saved);
    }

    /// <summary>Every snapshot row but its creation time, in key order.</summary>
    private List<SnapshotRow> Rows()
    {
        using var connection = new SqliteConnection(Journal.SnapshotConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, sequence_number, manifest, snapshot, serializer_id FROM snapshot ORDER BY persistence_id, sequence_number";
        using var reader = command.ExecuteReader();
        var rows = new List<SnapshotRow>();
        while (reader.Read())
        {
            rows.Add(new SnapshotRow(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), Convert.ToHexString((byte[])reader[3]), reader.IsDBNull(4) ? null : reader.GetInt32(4)));
        }
        return rows;
    }

    private sealed record SnapshotRow(string PersistenceId, long SequenceNr, string Manifest, string Snapshot, int? SerializerId);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
