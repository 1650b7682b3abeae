using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Snapshot;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Journal;

/// <summary>
/// The region managers' snapshot store on SQLite: Akka.Persistence.Sql's <see cref="SqlSnapshotStore"/> (its table,
/// its rows, its loads, all unchanged) whose saves and whose deletions of older snapshots go through one kept-open
/// connection and two prepared statements, on the store's actor, before the store answers.
/// <para>
/// Why: a region manager saves a snapshot every <c>SnapshotEvery</c> events and deletes the older ones once it is
/// stored, and the plugin's path for each (a pooled connection opened with its pragma, a linq2db transaction, LINQ
/// translation) took enough of the two cores to slow the swaps around it to three to six times their usual time
/// (docs/benchmarks/regions.md, session 12). The statements are what linq2db sends for these calls
/// (<c>INSERT OR REPLACE</c>; <c>DELETE</c> up to a sequence number), with the plugin's serializer, so what the
/// plugin reads back at recovery is what it would have written.
/// </para>
/// <para>
/// Durability is the regions store's: WAL, <c>synchronous=NORMAL</c> (<see cref="JournalSettings"/>). The older
/// snapshots are deleted only when the region manager hears the new one is stored, by a later commit to the same WAL.
/// A write that finds the file held by another writer for longer than <see cref="SqliteRegionsJournal.BusyWait"/> (the
/// job intake's snapshots share the file), and any deletion by timestamp, go through the plugin's own path.
/// </para>
/// </summary>
public sealed class SqliteRegionsSnapshotStore : SqlSnapshotStore
{
    private readonly SnapshotConfig _config;
    private readonly ByteArrayLongSnapshotSerializer _serializer;
    private SqliteConnection? _connection;
    private SqliteCommand? _save;
    private SqliteCommand? _delete;

    public SqliteRegionsSnapshotStore(Akka.Configuration.Config config)
        : base(config)
    {
        _config = new SnapshotConfig(config.WithFallback(SqlPersistence.DefaultSnapshotConfiguration));
        _serializer = new ByteArrayLongSnapshotSerializer(Context.System.Serialization, _config);
    }

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serialized = _serializer.Serialize(metadata, snapshot);
        if (!serialized.IsSuccess)
        {
            return Task.FromException(serialized.Failure.Value);
        }
        var row = serialized.Success.Value;
        return Execute(
            static statements => statements.Save,
            p =>
            {
                p[0].Value = row.PersistenceId;
                p[1].Value = row.SequenceNumber;
                p[2].Value = row.Created;
                p[3].Value = row.Manifest;
                p[4].Value = row.Payload;
                p[5].Value = row.SerializerId is { } id ? id : DBNull.Value;
            },
            () => base.SaveAsync(metadata, snapshot, cancellationToken));
    }

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        // What a region manager asks after each stored snapshot: the older ones, by sequence number only.
        if (criteria.MaxTimeStamp != DateTime.MaxValue || criteria.MaxSequenceNr == long.MaxValue)
        {
            return base.DeleteAsync(persistenceId, criteria, cancellationToken);
        }
        return Execute(
            static statements => statements.Delete,
            p =>
            {
                p[0].Value = persistenceId;
                p[1].Value = criteria.MaxSequenceNr;
            },
            () => base.DeleteAsync(persistenceId, criteria, cancellationToken));
    }

    /// <summary>Runs one prepared statement in its own transaction, committed before this returns; a busy file hands the call to the plugin.</summary>
    private Task Execute(Func<(SqliteCommand Save, SqliteCommand Delete), SqliteCommand> statement, Action<SqliteParameterCollection> bind, Func<Task> throughPlugin)
    {
        try
        {
            var command = statement(Prepared());
            using var transaction = _connection!.BeginTransaction(deferred: false);
            command.Transaction = transaction;
            bind(command.Parameters);
            command.ExecuteNonQuery();
            transaction.Commit();
            return Task.CompletedTask;
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
        {
            return throughPlugin();
        }
        catch (Exception e)
        {
            // Nothing of this call is stored (the transaction rolled back); the next one opens a new connection.
            Context.GetLogger().Warning(e, "The regions snapshot store's connection failed; it is opened again at the next call");
            Close();
            return Task.FromException(e);
        }
    }

    /// <summary>The statements on the kept-open connection, opened on first use (the plugin has created the table by then).</summary>
    private (SqliteCommand Save, SqliteCommand Delete) Prepared()
    {
        if (_save is not null && _delete is not null)
        {
            return (_save, _delete);
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_config.ConnectionString) { DefaultTimeout = (int)SqliteRegionsJournal.BusyWait.TotalSeconds }.ToString());
        try
        {
            connection.Open();
            JournalSettings.SetUnsynced(connection);
            var table = _config.TableConfig.SnapshotTable;
            var c = table.ColumnNames;
            var save = connection.CreateCommand();
            save.CommandText = $"INSERT OR REPLACE INTO \"{table.Name}\" (\"{c.PersistenceId}\", \"{c.SequenceNumber}\", \"{c.Created}\", \"{c.Manifest}\", \"{c.Snapshot}\", \"{c.SerializerId}\") VALUES ($pid, $seq, $created, $manifest, $snapshot, $serializer);";
            foreach (var name in new[] { "$pid", "$seq", "$created", "$manifest", "$snapshot", "$serializer" })
            {
                save.Parameters.Add(new SqliteParameter(name, null));
            }
            save.Prepare();
            var delete = connection.CreateCommand();
            delete.CommandText = $"DELETE FROM \"{table.Name}\" WHERE \"{c.PersistenceId}\" = $pid AND \"{c.SequenceNumber}\" <= $max;";
            delete.Parameters.Add(new SqliteParameter("$pid", null));
            delete.Parameters.Add(new SqliteParameter("$max", null));
            delete.Prepare();
            (_connection, _save, _delete) = (connection, save, delete);
            return (save, delete);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Close()
    {
        _save?.Dispose();
        _delete?.Dispose();
        _connection?.Dispose();
        (_connection, _save, _delete) = (null, null, null);
    }

    protected override void PostStop()
    {
        Close();
        base.PostStop();
    }
}
