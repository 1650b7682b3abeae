using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit;
using Dpr.Actors.Journal;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Tests.Journal;

/// <summary>
/// The regions journal on SQLite (<see cref="SqliteRegionsJournal"/>): its kept-open insert writes the rows the
/// plugin writes, and a write that meets another writer's lock goes through the plugin's path, in order.
/// </summary>
public sealed class SqliteRegionsJournalTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-regions-journal-{Guid.NewGuid():N}");

    private JournalSettings Journal => JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db"));

    [Fact]
    public void The_regions_journal_on_sqlite_is_the_kept_open_one_and_on_postgresql_the_plugin()
    {
        Assert.Equal(typeof(SqliteRegionsJournal).FullName + ", Dpr.Actors", Journal.Config.GetString(JournalSettings.RegionsJournal + ".class"));
        var postgres = JournalSettings.PostgreSql("Host=db;Database=dpr;Username=dpr").Config;
        Assert.Equal(postgres.GetString("akka.persistence.journal.sql.class"), postgres.GetString(JournalSettings.RegionsJournal + ".class"));
    }

    [Fact]
    public async Task Its_rows_are_the_ones_the_plugin_writes_and_the_plugin_replays_them()
    {
        string[] events = ["a", "bb", "ccc"];
        using (var system = Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING")))
        {
            // The same events through the kept-open insert (regions journal) and through the plugin (the default journal).
            foreach (var plugin in new[] { JournalSettings.RegionsJournal, "akka.persistence.journal.sql" })
            {
                var writer = system.ActorOf(Props.Create(() => new Recorder("recorder-1", plugin)));
                foreach (var e in events)
                {
                    Assert.Equal(e, await writer.Ask<string>(new Recorder.Record(e), Timeout));
                }
            }
            await system.Terminate();
        }
        Assert.Equal(Rows(Journal.ConnectionString), Rows(Journal.RegionsConnectionString));

        using (var system = Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING")))
        {
            var reader = system.ActorOf(Props.Create(() => new Recorder("recorder-1", JournalSettings.RegionsJournal)));
            Assert.Equal(events, await reader.Ask<string[]>(Recorder.Recovered.Instance, Timeout));
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_write_held_up_by_another_writer_goes_through_the_plugin_once_the_lock_is_free_and_later_writes_follow_in_order()
    {
        using var system = Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var writer = system.ActorOf(Props.Create(() => new Recorder("recorder-2", JournalSettings.RegionsJournal)));
        Assert.Equal("before", await writer.Ask<string>(new Recorder.Record("before"), Timeout));

        using var outage = new SqliteJournalOutage(Journal, TimeProvider.System);
        outage.Start(SqliteRegionsJournal.BusyWait * 3);
        var held = writer.Ask<string>(new Recorder.Record("held"), Timeout);
        var after = writer.Ask<string>(new Recorder.Record("after"), Timeout);

        Assert.Equal(["held", "after"], await Task.WhenAll(held, after));
        Assert.Null(outage.Until);
        var sequence = Rows(Journal.RegionsConnectionString).Where(r => r.PersistenceId == "recorder-2").Select(r => r.SequenceNr);
        Assert.Equal([1L, 2L, 3L], sequence);
        await system.Terminate();
    }

    [Fact]
    public async Task The_wal_stays_bounded_under_a_long_run_of_single_event_writes()
    {
        // Without an idle moment the journal checkpoints at RegionsWal.HardBoundPages: any change to where it checkpoints must keep this.
        const int events = 4000;
        using (var system = Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING")))
        {
            var writer = system.ActorOf(Props.Create(() => new Recorder("recorder-3", JournalSettings.RegionsJournal)));
            for (var i = 0; i < events; i++)
            {
                await writer.Ask<string>(new Recorder.Record("e"), Timeout);
            }

            // A commit appends a few pages (4 KiB each) to the WAL: without checkpoints it would hold them all (about 87 MB).
            var wal = new FileInfo(new SqliteConnectionStringBuilder(Journal.RegionsConnectionString).DataSource + "-wal");
            Assert.True(wal.Exists, "the regions journal runs in WAL mode");
            Assert.InRange(wal.Length, 1, 3L * 1000 * 4096);
            await system.Terminate();
        }
        Assert.Equal(events, Rows(Journal.RegionsConnectionString).Count(r => r.PersistenceId == "recorder-3"));
    }

    [Fact]
    public async Task Once_idle_the_journal_checkpoints_on_its_own_connection_so_the_next_writes_reuse_the_wal_from_its_start()
    {
        // Virtual time: the journal is idle exactly when the test says so, never in the middle of a batch.
        using var system = Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            """));
        var scheduler = (TestScheduler)system.Scheduler;
        var writer = system.ActorOf(Props.Create(() => new Recorder("recorder-4", JournalSettings.RegionsJournal)));
        var path = new SqliteConnectionStringBuilder(Journal.RegionsConnectionString).DataSource;
        var database = new FileInfo(path);
        Assert.Equal("first", await writer.Ask<string>(new Recorder.Record("first")).WaitAsync(Timeout));
        database.Refresh();
        var before = database.Length;

        // A batch of a few hundred WAL pages: below both SQLite's default checkpoint (1,000) and the journal's hard bound,
        // so only the idle checkpoint copies it into the database file.
        const int batch = 150;
        var first = await IdleAfter(batch, 1 + batch);
        database.Refresh();
        Assert.True(database.Length > before, "the idle journal copied its WAL into the database file");
        Assert.Equal(first.WalFrames, first.Copied);

        // The WAL was copied back whole, so the next batch writes it from its start: without the checkpoint it would
        // append behind the first batch (about twice as many frames).
        var second = await IdleAfter(batch, 1 + 2 * batch);
        Assert.Equal(second.WalFrames, second.Copied);
        Assert.InRange(second.WalFrames, first.WalFrames * 3 / 4, first.WalFrames * 5 / 4);
        await system.Terminate();

        async Task<Observed.JournalCheckpointed> IdleAfter(int writes, long inserts)
        {
            var checkpointed = EventStreamWait.Next<Observed.JournalCheckpointed>(system, c => c.Inserts == inserts);
            for (var i = 0; i < writes; i++)
            {
                await writer.Ask<string>(new Recorder.Record("e")).WaitAsync(Timeout);
            }
            // Virtual time stood still during the batch, so no insert came after the idle timer started: it checkpoints.
            scheduler.Advance(SqliteRegionsJournal.IdleBeforeCheckpoint);
            return await checkpointed.WaitAsync(Timeout);
        }
    }

    /// <summary>Every row but its ordering and timestamp: the writer UUID only as present or not, since each journal has its own.</summary>
    private static List<(string PersistenceId, long SequenceNr, bool Deleted, string Message, string? Manifest, long? Identifier, bool HasWriter)> Rows(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT persistence_id, sequence_number, deleted, message, manifest, identifier, writer_uuid IS NOT NULL FROM journal ORDER BY ordering";
        using var reader = command.ExecuteReader();
        var rows = new List<(string, long, bool, string, string?, long?, bool)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetBoolean(2), Convert.ToHexString((byte[])reader[3]), reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetBoolean(6)));
        }
        return rows;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Persists strings and replies each once stored; answers what it recovered.</summary>
    private sealed class Recorder : ReceivePersistentActor
    {
        private readonly List<string> _recovered = [];

        public Recorder(string persistenceId, string plugin)
        {
            PersistenceId = persistenceId;
            JournalPluginId = plugin;
            Recover<string>(_recovered.Add);
            Command<Record>(r => Persist(r.Value, stored => Sender.Tell(stored)));
            Command<Recovered>(_ => Sender.Tell(_recovered.ToArray()));
        }

        public override string PersistenceId { get; }

        public sealed record Record(string Value);

        public sealed record Recovered
        {
            public static readonly Recovered Instance = new();
        }
    }
}
