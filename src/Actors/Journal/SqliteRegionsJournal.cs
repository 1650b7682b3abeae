using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Journal.Dao;
using Akka.Persistence.Sql.Journal.Types;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Journal;

/// <summary>
/// The regions journal on SQLite: Akka.Persistence.Sql's <see cref="SqlWriteJournal"/> (tables, replay,
/// deletes, the read journal, all unchanged) whose event inserts go through one kept-open connection and a
/// prepared <c>INSERT</c>, committed on the journal actor before the write is acknowledged.
/// <para>
/// Why: the plugin's own write path (a stream queue, a batch stage, a linq2db connection and transaction
/// per batch, LINQ insert translation, three task hops) took about 0.3 ms per persisted event where the
/// same row through a prepared statement takes under 0.1 ms (docs/benchmarks/regions.md, with the
/// reproduction), and a swap persists two events one after the other. The transaction and the insert are
/// <see cref="SqliteStatement"/>s, without Microsoft.Data.Sqlite's per-call objects.
/// </para>
/// <para>
/// The rows are the plugin's (its serializer, its table and column names, the same writer UUID on every row
/// of this journal), so what the plugin reads back is what it would have written. Durability is that of the
/// regions journal: WAL, <c>synchronous=NORMAL</c> (<see cref="JournalSettings"/>). Tagged events, and any
/// write while another writer holds the database for longer than <see cref="BusyWait"/> (a backup, an
/// injected outage), go through the plugin's own path, with its circuit breaker and timeouts; later writes
/// follow them there until they are done, so events are stored in order.
/// </para>
/// <para>
/// Checkpoints: SQLite's automatic checkpoint runs inside the commit that takes the WAL past its threshold and
/// syncs the WAL and the database file there, and the next commit syncs the new WAL header, which was the tail of a
/// swap (docs/benchmarks/regions.md). The kept-open connection has no automatic checkpoint; the journal checkpoints on
/// that same connection, between writes, once it has been idle for <see cref="IdleBeforeCheckpoint"/>, or right after
/// the commit that takes the WAL to <see cref="RegionsWal.HardBoundPages"/> in a run of writes with no idle moment. The
/// checkpoint is serialised with the inserts (no write overtakes it, no second connection holds the WAL back), all the
/// WAL is copied back, and a write of the journal's own starts the WAL over at once, so all the syncs of a cycle fall in
/// one place: an idle moment, or the one write at the hard bound.
/// </para>
/// </summary>
public sealed class SqliteRegionsJournal : SqlWriteJournal, IWithTimers
{
    /// <summary>How long an insert waits for another writer before it is handed to the plugin's path (Microsoft.Data.Sqlite's busy timeout, whole seconds).</summary>
    public static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(1);

    /// <summary>How long the journal has no write before it checkpoints the WAL on its connection.</summary>
    public static readonly TimeSpan IdleBeforeCheckpoint = TimeSpan.FromMilliseconds(10);

    /// <summary>Akka's answer for "every write stored": no per-write result list (AsyncWriteJournal reads null as all successful).</summary>
    private static readonly Task<IImmutableList<Exception>> AllStored = Task.FromResult<IImmutableList<Exception>>(null!);

    private readonly JournalConfig _config;
    private readonly ByteArrayJournalSerializer _serializer;
    private SqliteConnection? _connection;
    private Statements? _statements;
    private Task _pluginWrites = Task.CompletedTask;
    private long _inserts;
    private DateTimeOffset _lastInsertAt;
    private long _insertsCheckpointed;
    /// <summary>WAL frames the kept-open connection appended since its last checkpoint.</summary>
    private long _walPages;
    /// <summary>When the idle timer was started; null when it is not running.</summary>
    private DateTimeOffset? _armedAt;

    public SqliteRegionsJournal(Akka.Configuration.Config config)
        : base(config)
    {
        _config = new JournalConfig(config.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        _serializer = new ByteArrayJournalSerializer(
            _config, Context.System.Serialization, _config.PluginConfig.TagSeparator,
            _config.TableConfig.EventJournalTable.UseWriterUuidColumn ? Guid.NewGuid().ToString("N") : null);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages.ToList();
        var serialized = _serializer.Serialize(writes, DateTime.UtcNow.Ticks);
        // Plain loops, and no result list when every write is stored: this runs twice per swap (docs/benchmarks/regions.md).
        var rows = new List<JournalRow>(writes.Count);
        var rejected = false;
        var tagged = false;
        foreach (var t in serialized)
        {
            if (!t.IsSuccess)
            {
                rejected = true;
                continue;
            }
            foreach (var row in t.Success.Value)
            {
                rows.Add(row);
                tagged |= row.TagArray.Length > 0;
            }
        }
        if (!_pluginWrites.IsCompleted || _config.PluginConfig.TagMode != TagMode.TagTable || tagged)
        {
            return ThroughPlugin(writes, cancellationToken);
        }
        try
        {
            Insert(rows);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
        {
            return ThroughPlugin(writes, cancellationToken);
        }
        catch (Exception e)
        {
            // Nothing of this write is stored (the transaction rolled back); the next write opens a new connection.
            Close();
            return Task.FromException<IImmutableList<Exception>>(e);
        }
        _inserts++;
        _lastInsertAt = Context.System.Scheduler.Now;
        if (_walPages >= RegionsWal.HardBoundPages)
        {
            // Stored and committed already; the checkpoint only moves it from the WAL into the database file.
            Checkpoint(_connection!);
        }
        else
        {
            ArmCheckpoint();
        }
        return rejected ? Task.FromResult<IImmutableList<Exception>>([.. serialized.Select(t => t.IsSuccess ? null! : t.Failure.Value)]) : AllStored;
    }

    private Task<IImmutableList<Exception>> ThroughPlugin(List<AtomicWrite> writes, CancellationToken cancellationToken)
    {
        var write = base.WriteMessagesAsync(writes, cancellationToken);
        _pluginWrites = Task.WhenAll(_pluginWrites, write);
        return write;
    }

    private void Insert(List<JournalRow> rows)
    {
        var (begin, insert, commit, rollback, writer) = Prepared();
        // BEGIN IMMEDIATE: a writer holding the file past the busy timeout fails it here, before anything is written.
        begin.Run();
        try
        {
            foreach (var row in rows)
            {
                insert.Bind(1, row.Timestamp);
                insert.Bind(2, row.PersistenceId);
                insert.Bind(3, row.SequenceNumber);
                insert.Bind(4, row.Message);
                insert.Bind(5, row.Manifest);
                insert.Bind(6, row.Identifier);
                if (writer)
                {
                    insert.Bind(7, row.WriterUuid);
                }
                insert.Run();
            }
            commit.Run();
        }
        catch
        {
            if (rollback.InTransaction)
            {
                rollback.Run();
            }
            throw;
        }
        _walPages += RegionsWal.PagesWritten(_connection!);
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not CheckpointWhenIdle)
        {
            return base.ReceivePluginInternal(message);
        }
        var armedAt = _armedAt;
        _armedAt = null;
        // The scheduler's clock, so that a test scheduler decides when the journal is idle.
        if (_lastInsertAt > armedAt)
        {
            ArmCheckpoint();
        }
        else if (_insertsCheckpointed != _inserts && _connection is not null)
        {
            Checkpoint(_connection);
        }
        return true;
    }

    /// <summary>Looks again after <see cref="IdleBeforeCheckpoint"/>: a tick that finds an insert since it was armed waits one more period.</summary>
    private void ArmCheckpoint()
    {
        if (_armedAt is not null)
        {
            return;
        }
        _armedAt = Context.System.Scheduler.Now;
        Timers.StartSingleTimer(CheckpointWhenIdle.Instance, CheckpointWhenIdle.Instance, IdleBeforeCheckpoint);
    }

    /// <summary>One checkpoint cycle (<see cref="RegionsWal.Checkpoint"/>): all its syncs fall here, between two writes.</summary>
    private void Checkpoint(SqliteConnection connection)
    {
        _walPages = 0;
        _insertsCheckpointed = _inserts;
        try
        {
            (var frames, var copied, _walPages) = RegionsWal.Checkpoint(connection);
            Context.System.EventStream.Publish(new Observed.JournalCheckpointed(_inserts, frames, copied));
        }
        catch (SqliteException e)
        {
            // Nothing is lost: the WAL holds the commits, and the next idle moment or the hard bound checkpoints them.
            Context.GetLogger().Warning(e, "Checkpointing the regions journal's WAL failed; it is retried when the journal is next idle");
        }
    }

    /// <summary>The statements on the kept-open connection, opened on first use (the plugin has created the tables by then).</summary>
    private Statements Prepared()
    {
        if (_statements is { } prepared)
        {
            return prepared;
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_config.ConnectionString) { DefaultTimeout = (int)BusyWait.TotalSeconds }.ToString());
        var statements = new List<SqliteStatement>();
        try
        {
            connection.Open();
            // The journal checkpoints itself (Checkpoint), at an idle moment or at the hard bound.
            RegionsWal.Configure(connection);
            // SqliteStatement runs through SQLite's own calls, so SQLite's busy handler does the waiting.
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)BusyWait.TotalMilliseconds), connection.Handle);
            var table = _config.TableConfig.EventJournalTable;
            var c = table.ColumnNames;
            string[] columns = [c.Created, c.Deleted, c.PersistenceId, c.SequenceNumber, c.Message, c.Manifest, c.Identifier, .. table.UseWriterUuidColumn ? [c.WriterUuid] : Array.Empty<string>()];
            string[] values = ["$created", "0", "$pid", "$seq", "$message", "$manifest", "$identifier", .. table.UseWriterUuidColumn ? ["$writer"] : Array.Empty<string>()];
            SqliteStatement Statement(string sql)
            {
                statements.Add(new SqliteStatement(connection, sql));
                return statements[^1];
            }
            _statements = new Statements(
                Statement("BEGIN IMMEDIATE;"),
                Statement($"INSERT INTO \"{table.Name}\" ({string.Join(", ", columns.Select(n => $"\"{n}\""))}) VALUES ({string.Join(", ", values)});"),
                Statement("COMMIT;"),
                Statement("ROLLBACK;"),
                table.UseWriterUuidColumn);
            _connection = connection;
            return _statements;
        }
        catch
        {
            statements.ForEach(s => s.Dispose());
            connection.Dispose();
            throw;
        }
    }

    private void Close()
    {
        _statements?.Dispose();
        _connection?.Dispose();
        (_connection, _statements) = (null, null);
    }

    /// <summary>The journal's statements; the insert binds, by position, created, persistence id, sequence number, message, manifest, identifier and, when <paramref name="WithWriter"/>, the writer UUID.</summary>
    private sealed record Statements(SqliteStatement Begin, SqliteStatement Insert, SqliteStatement Commit, SqliteStatement Rollback, bool WithWriter) : IDisposable
    {
        public void Dispose()
        {
            Begin.Dispose();
            Insert.Dispose();
            Commit.Dispose();
            Rollback.Dispose();
        }
    }

    private sealed class CheckpointWhenIdle
    {
        public static readonly CheckpointWhenIdle Instance = new();
    }

    protected override void PostStop()
    {
        Close();
        base.PostStop();
    }
}
