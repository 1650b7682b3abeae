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
/// reproduction), and a swap persists two events one after the other.
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
/// syncs the WAL and the database file there, which was the tail of a swap (docs/benchmarks/regions.md). The
/// kept-open connection has no automatic checkpoint. Once the WAL holds <see cref="BackgroundCheckpointPages"/>
/// pages, a second kept-open connection checkpoints it (<c>PASSIVE</c>) on the thread pool while the inserts go on
/// (WAL mode lets a checkpointer copy committed frames beside the writer): the big sync, of the whole WAL, runs there.
/// The WAL starts over from its beginning only at a write that finds every frame copied back, so when that checkpoint
/// is done the journal copies the few frames written meanwhile on its own connection, between two writes (with the
/// sync of the database file, which SQLite does only when a checkpoint reaches the WAL's end), and the next insert
/// starts the WAL again (SQLite syncs the new WAL header there). Once it has been idle for
/// <see cref="IdleBeforeCheckpoint"/> it does the same on its own connection, so a service with pauses between swaps
/// (jobs, the real transfer) checkpoints there and rarely needs the second connection. A writer that outpaces the
/// checkpoint beside it (a loaded disk) meets <see cref="WalHardBoundPages"/>, where a write waits for that checkpoint
/// and copies the rest itself, as SQLite's automatic checkpoint would.
/// </para>
/// </summary>
public sealed class SqliteRegionsJournal : SqlWriteJournal, IWithTimers
{
    /// <summary>How long an insert waits for another writer before it is handed to the plugin's path (Microsoft.Data.Sqlite's busy timeout, whole seconds).</summary>
    public static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(1);

    /// <summary>How long the journal has no write before it checkpoints the WAL on its connection (the plugin setting <see cref="IdleBeforeCheckpointSetting"/>).</summary>
    public static readonly TimeSpan IdleBeforeCheckpoint = TimeSpan.FromMilliseconds(10);

    /// <summary>The journal's setting (HOCON, under its plugin id) for <see cref="IdleBeforeCheckpoint"/>.</summary>
    public const string IdleBeforeCheckpointSetting = "checkpoint-after-idle";

    /// <summary>
    /// The WAL's size, in pages, at which a second connection checkpoints it beside the writer when no idle moment came
    /// first: SQLite's own threshold (about 4 MB at 4 KiB pages). The WAL grows on while that checkpoint runs, and starts
    /// over at about 1.5 times this in a run of swaps back to back (two events append about 10 pages).
    /// </summary>
    public const int BackgroundCheckpointPages = 1000;

    /// <summary>
    /// The WAL's size, in pages, at which a write waits for the checkpoint beside it to end and copies the rest back
    /// itself before it inserts (about 8 MB): the bound for a writer that outpaces the checkpoint (a loaded disk).
    /// </summary>
    public const int WalHardBoundPages = 2000;

    /// <summary>
    /// The most WAL pages written during a checkpoint beside the writer that the journal then copies back on its own
    /// connection, between writes; with more, one more round runs beside the writer first.
    /// </summary>
    public const int CatchUpPages = 200;

    private readonly JournalConfig _config;
    private readonly ByteArrayJournalSerializer _serializer;
    private readonly TimeSpan _idleBeforeCheckpoint;
    private SqliteConnection? _connection;
    private SqliteCommand? _insert;
    private SqliteConnection? _checkpointer;
    private Task<WalCheckpoint>? _background;
    private int _backgroundRounds;
    private long _walPages;
    private Task _pluginWrites = Task.CompletedTask;
    private long _inserts;
    private long _insertsWhenArmed;
    private long _insertsCheckpointed;
    private bool _checkpointArmed;

    public SqliteRegionsJournal(Akka.Configuration.Config config)
        : base(config)
    {
        _config = new JournalConfig(config.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        _idleBeforeCheckpoint = config.GetTimeSpan(IdleBeforeCheckpointSetting, IdleBeforeCheckpoint);
        _serializer = new ByteArrayJournalSerializer(
            _config, Context.System.Serialization, _config.PluginConfig.TagSeparator,
            _config.TableConfig.EventJournalTable.UseWriterUuidColumn ? Guid.NewGuid().ToString("N") : null);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages.ToList();
        var serialized = _serializer.Serialize(writes, DateTime.UtcNow.Ticks);
        var rows = serialized.Where(t => t.IsSuccess).SelectMany(t => t.Success.Value).ToList();
        if (!_pluginWrites.IsCompleted || _config.PluginConfig.TagMode != TagMode.TagTable || rows.Any(r => r.TagArray.Length > 0))
        {
            return ThroughPlugin(writes, cancellationToken);
        }
        if (_walPages >= WalHardBoundPages)
        {
            CatchUpNow();
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
        _walPages += PagesWritten(_connection!);
        if (_walPages >= BackgroundCheckpointPages && _background is null)
        {
            CheckpointInBackground();
        }
        ArmCheckpoint();
        return Task.FromResult<IImmutableList<Exception>>([.. serialized.Select(t => t.IsSuccess ? null! : t.Failure.Value)]);
    }

    private Task<IImmutableList<Exception>> ThroughPlugin(List<AtomicWrite> writes, CancellationToken cancellationToken)
    {
        var write = base.WriteMessagesAsync(writes, cancellationToken);
        _pluginWrites = Task.WhenAll(_pluginWrites, write);
        return write;
    }

    private void Insert(List<JournalRow> rows)
    {
        var insert = Prepared();
        using var transaction = _connection!.BeginTransaction(deferred: false);
        insert.Transaction = transaction;
        var p = insert.Parameters;
        foreach (var row in rows)
        {
            p[0].Value = row.Timestamp;
            p[1].Value = row.PersistenceId;
            p[2].Value = row.SequenceNumber;
            p[3].Value = row.Message;
            p[4].Value = row.Manifest;
            p[5].Value = row.Identifier is { } identifier ? identifier : DBNull.Value;
            if (p.Count > 6)
            {
                p[6].Value = row.WriterUuid is { } uuid ? uuid : DBNull.Value;
            }
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    protected override bool ReceivePluginInternal(object message)
    {
        switch (message)
        {
            case CheckpointWhenIdle:
                _checkpointArmed = false;
                if (_inserts != _insertsWhenArmed)
                {
                    ArmCheckpoint();
                }
                else if (_insertsCheckpointed != _inserts && _connection is not null && _background is null)
                {
                    // With a checkpoint in the background, its end copies the rest (SQLite runs one checkpoint at a time).
                    Checkpoint(_connection);
                }
                return true;
            case CheckpointedInBackground done when ReferenceEquals(done.Checkpoint, _background):
                _background = null;
                if (done.Checkpoint.IsCompletedSuccessfully && done.Checkpoint.Result.Complete && _connection is not null)
                {
                    if (_walPages - done.Checkpoint.Result.WalFrames > CatchUpPages && _backgroundRounds < 2)
                    {
                        CheckpointInBackground();
                    }
                    else
                    {
                        // What was written while it ran: a few frames, so that the next insert starts the WAL again.
                        Checkpoint(_connection);
                    }
                }
                else if (done.Checkpoint.Exception?.GetBaseException() is { } failure)
                {
                    Context.GetLogger().Warning(failure, "Checkpointing the regions journal's WAL beside the writer failed; it is tried again at the next write");
                }
                return true;
            case CheckpointedInBackground:
                // Already waited for by a write at the hard bound.
                return true;
            default:
                return base.ReceivePluginInternal(message);
        }
    }

    /// <summary>
    /// Copies the WAL into the database file from the second connection, on the thread pool, and tells the journal when
    /// it is done. The writer goes on meanwhile: a <c>PASSIVE</c> checkpoint takes no lock a writer needs.
    /// </summary>
    private void CheckpointInBackground()
    {
        try
        {
            var checkpointer = _checkpointer ??= Open();
            var self = Self;
            _backgroundRounds++;
            var checkpoint = Task.Run(() => WalCheckpoint.Passive(checkpointer));
            _background = checkpoint;
            checkpoint.ContinueWith(_ => self.Tell(new CheckpointedInBackground(checkpoint)), TaskScheduler.Default);
        }
        catch (SqliteException e)
        {
            Context.GetLogger().Warning(e, "Opening the regions journal's checkpoint connection failed; it is tried again at the next write");
        }
    }

    /// <summary>
    /// At the hard bound: waits for the checkpoint beside the writer, if one runs, and copies what is left on the writer's
    /// connection, as SQLite's own checkpoint in the commit would (its syncs are then inside this write).
    /// </summary>
    private void CatchUpNow()
    {
        if (_background is { } running)
        {
            _background = null;
            ((IAsyncResult)running).AsyncWaitHandle.WaitOne(); // without rethrowing its failure: the checkpoint below is the answer
        }
        if (_connection is not null)
        {
            Checkpoint(_connection);
        }
    }

    /// <summary>The pages this connection has written since the last call: with WAL, the frames its commits appended.</summary>
    private static int PagesWritten(SqliteConnection connection)
    {
        SQLitePCL.raw.sqlite3_db_status(connection.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var written, out _, 1);
        return written;
    }

    /// <summary>Looks again after <see cref="IdleBeforeCheckpoint"/> (or its setting): a tick that finds new inserts waits for the next one.</summary>
    private void ArmCheckpoint()
    {
        if (_checkpointArmed)
        {
            return;
        }
        (_checkpointArmed, _insertsWhenArmed) = (true, _inserts);
        Timers.StartSingleTimer(CheckpointWhenIdle.Instance, CheckpointWhenIdle.Instance, _idleBeforeCheckpoint);
    }

    /// <summary>Checkpoints on the writer's connection, between writes: when all the WAL is copied back, the next insert starts it again.</summary>
    private void Checkpoint(SqliteConnection connection)
    {
        try
        {
            if (WalCheckpoint.Passive(connection).Complete)
            {
                (_walPages, _backgroundRounds) = (0, 0);
            }
            _insertsCheckpointed = _inserts;
        }
        catch (SqliteException e)
        {
            // Nothing is lost: the WAL holds the commits, and the next idle moment or the hard bound checkpoints them.
            Context.GetLogger().Warning(e, "Checkpointing the regions journal's WAL failed; it is retried when the journal is next idle");
        }
    }

    /// <summary>The insert on the kept-open connection, opened on first use (the plugin has created the tables by then).</summary>
    private SqliteCommand Prepared()
    {
        if (_insert is not null)
        {
            return _insert;
        }
        var connection = Open();
        try
        {
            using (var pragma = connection.CreateCommand())
            {
                // No checkpoint inside a commit: the journal checkpoints between writes or beside them.
                pragma.CommandText = "PRAGMA wal_autocheckpoint=0;";
                pragma.ExecuteNonQuery();
            }
            _ = PagesWritten(connection);
            var table = _config.TableConfig.EventJournalTable;
            var c = table.ColumnNames;
            string[] columns = [c.Created, c.Deleted, c.PersistenceId, c.SequenceNumber, c.Message, c.Manifest, c.Identifier, .. table.UseWriterUuidColumn ? [c.WriterUuid] : Array.Empty<string>()];
            string[] values = ["$created", "0", "$pid", "$seq", "$message", "$manifest", "$identifier", .. table.UseWriterUuidColumn ? ["$writer"] : Array.Empty<string>()];
            var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO \"{table.Name}\" ({string.Join(", ", columns.Select(n => $"\"{n}\""))}) VALUES ({string.Join(", ", values)});";
            foreach (var name in values.Where(v => v.StartsWith('$')))
            {
                insert.Parameters.Add(new SqliteParameter(name, null));
            }
            insert.Prepare();
            (_connection, _insert) = (connection, insert);
            return insert;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A connection of the journal's own to its file, with its durability (<see cref="JournalSettings"/>), kept out of the pool the plugin draws from.</summary>
    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_config.ConnectionString) { DefaultTimeout = (int)BusyWait.TotalSeconds, Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Close()
    {
        _insert?.Dispose();
        _connection?.Dispose();
        (_connection, _insert) = (null, null);
    }

    private sealed class CheckpointWhenIdle
    {
        public static readonly CheckpointWhenIdle Instance = new();
    }

    private sealed record CheckpointedInBackground(Task<WalCheckpoint> Checkpoint);

    protected override void PostStop()
    {
        // The checkpoint under way uses the second connection: it ends before that connection closes.
        ((IAsyncResult?)_background)?.AsyncWaitHandle.WaitOne(BusyWait);
        _checkpointer?.Dispose();
        Close();
        base.PostStop();
    }
}
