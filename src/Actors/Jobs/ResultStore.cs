using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Job results in an SQLite file (<c>./data/results/results.db</c>, WAL, an fsync per commit), written
/// once per job id: a job that ran twice (a crash between its run and its <c>JobCompleted</c>) finds
/// its result already there and keeps the first. One writer stores whatever results are waiting in a
/// single transaction (group commit), so a result costs a row, not a file: with a file per result,
/// creating and renaming the files took about 45% of the service's CPU in <c>dpr bench http</c>.
/// A result is deleted with its job: when the job is past the retention (<see cref="Delete"/>), or, for one
/// whose deletion a crash cut off, once it is older than the retention and its job is no longer kept
/// (<see cref="Prune"/>). Never while the job is kept, so a job that says completed has its result.
/// With a PostgreSQL journal <see cref="PostgresResultStore"/> is used instead.
/// </summary>
public sealed class ResultStore : IResultStore
{
    /// <summary>Results <see cref="Prune"/> reads at a time: its memory does not grow with what is stored.</summary>
    private const int PrunePage = 1000;

    private readonly string _connectionString;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly GroupCommit<(StoredResult Meta, byte[] Data), bool> _batcher;
    /// <summary>The writer's own connection, opened once.</summary>
    private readonly Lazy<SqliteConnection> _writerConnection;

    /// <param name="time">Stamps each result as it is written (what <see cref="Prune"/> compares); the system clock by default.</param>
    public ResultStore(string directory, TimeSpan retention, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(directory);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "results.db"), Pooling = true }.ToString();
        _retention = retention;
        using (var connection = Open())
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            // Files of earlier versions have data before stored_at: moved once to the layout below.
            var last = Scalar(connection, "SELECT name FROM pragma_table_info('results') ORDER BY cid DESC LIMIT 1");
            using var transaction = connection.BeginTransaction();
            if (last is "stored_at")
            {
                Execute(connection, "ALTER TABLE results RENAME TO results_before; DROP INDEX IF EXISTS results_stored_at;");
            }
            // The data last: SQLite writes a zeroblob() that ends a record without making it in memory (Insert).
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS results (
                  job_id TEXT PRIMARY KEY,
                  meta TEXT NOT NULL,
                  stored_at INTEGER NOT NULL,
                  data BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS results_stored_at ON results (stored_at);
                """);
            if (last is "stored_at")
            {
                Execute(connection, "INSERT INTO results (job_id, meta, stored_at, data) SELECT job_id, meta, stored_at, data FROM results_before; DROP TABLE results_before;");
            }
            transaction.Commit();
        }
        _writerConnection = new(Open);
        _batcher = new(nameof(ResultStore), batch => Task.FromResult(Insert(batch)));
    }

    /// <summary>Stores a result once it is committed; false when one was already stored for the job (the first stays).</summary>
    public Task<bool> StoreAsync(StoredResult meta, byte[] data) => _batcher.AddAsync((meta, data));

    public (StoredResult Meta, byte[] Data)? TryLoad(Guid jobId)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT meta, data FROM results WHERE job_id = $id";
        command.Parameters.AddWithValue("$id", jobId.ToString("N"));
        using var reader = command.ExecuteReader();
        return StoredResult.Read(reader, jobId);
    }

    /// <summary>
    /// The result opened as an incremental BLOB read (<c>sqlite3_blob_open</c>) on a connection of its own,
    /// so a large result is sent a chunk at a time; null when none is stored (or it was deleted meanwhile).
    /// </summary>
    public ResultStream? TryOpen(Guid jobId)
    {
        var connection = Open();
        try
        {
            StoredResult meta;
            long rowid;
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT rowid, meta FROM results WHERE job_id = $id";
                command.Parameters.AddWithValue("$id", jobId.ToString("N"));
                using var reader = command.ExecuteReader();
                if (!reader.Read())
                {
                    connection.Dispose();
                    return null;
                }
                rowid = reader.GetInt64(0);
                meta = StoredResult.FromJson(reader.GetString(1), jobId);
            }
            var blob = new SqliteBlob(connection, "results", "data", rowid, readOnly: true);
            return new ResultStream(meta, blob.Length, blob, connection);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1)
        {
            // SQLITE_ERROR from sqlite3_blob_open: "no such rowid", the row was deleted between the two steps.
            connection.Dispose();
            return null;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the results of <paramref name="jobIds"/> (jobs past the retention), in one transaction; returns how many there were.</summary>
    public int Delete(IEnumerable<Guid> jobIds)
    {
        using var connection = Open();
        return SqliteRows.DeleteJobs(connection, "results", jobIds);
    }

    /// <summary>
    /// Deletes results stored before <paramref name="now"/> minus the retention whose job
    /// <paramref name="known"/> says is no longer kept (left over when a crash came between a job's
    /// deletion and its result's), a page at a time in storage order; returns how many.
    /// <paramref name="known"/> must answer from what was kept before this call: a result is stored only
    /// for a job already accepted, and one stored since is younger than the retention.
    /// </summary>
    public int Prune(DateTimeOffset now, Func<Guid, bool> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var before = (now - _retention).ToUnixTimeMilliseconds();
        var (afterAt, afterId, deleted) = (long.MinValue, "", 0);
        while (true)
        {
            var page = new List<(long At, string Id)>(PrunePage);
            using (var connection = Open())
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT stored_at, job_id FROM results WHERE stored_at < $before AND (stored_at, job_id) > ($at, $id) ORDER BY stored_at, job_id LIMIT $page";
                command.Parameters.AddWithValue("$before", before);
                command.Parameters.AddWithValue("$at", afterAt);
                command.Parameters.AddWithValue("$id", afterId);
                command.Parameters.AddWithValue("$page", PrunePage);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    page.Add((reader.GetInt64(0), reader.GetString(1)));
                }
            }
            deleted += Delete(page.Select(r => Guid.TryParseExact(r.Id, "N", out var jobId) ? jobId : (Guid?)null).OfType<Guid>().Where(id => !known(id)));
            if (page.Count < PrunePage)
            {
                return deleted;
            }
            (afterAt, afterId) = page[^1];
        }
    }

    /// <summary>How many results are stored.</summary>
    public long Count()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM results";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// A batch of results in one transaction (<see cref="GroupCommit{TItem, TOutcome}"/>). A result larger than
    /// <see cref="BoundLimit"/> is inserted as a zero-filled BLOB of its size and written into it through
    /// an incremental BLOB handle: a bound parameter is copied whole into SQLite's memory first
    /// (<c>SQLITE_TRANSIENT</c>), a second copy of the largest output on a board with 512 MB. The
    /// <c>zeroblob()</c> is the record's last column, which SQLite stores without making it in memory.
    /// </summary>
    private bool[] Insert(IReadOnlyList<(StoredResult Meta, byte[] Data)> batch)
    {
        var connection = _writerConnection.Value;
        var inserted = new bool[batch.Count];
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO results (job_id, meta, stored_at, data)
            VALUES ($id, $meta, $at, CASE WHEN $data IS NULL THEN zeroblob($size) ELSE $data END)
            RETURNING rowid
            """;
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var meta = command.Parameters.Add("$meta", SqliteType.Text);
        var data = command.Parameters.Add("$data", SqliteType.Blob);
        var size = command.Parameters.Add("$size", SqliteType.Integer);
        var at = command.Parameters.Add("$at", SqliteType.Integer);
        for (var i = 0; i < batch.Count; i++)
        {
            var bytes = batch[i].Data;
            var streamed = bytes.Length > BoundLimit;
            id.Value = batch[i].Meta.JobId.ToString("N");
            meta.Value = batch[i].Meta.ToJson();
            data.Value = streamed ? DBNull.Value : bytes;
            size.Value = bytes.Length;
            at.Value = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var rowid = command.ExecuteScalar();
            inserted[i] = rowid is long;
            if (streamed && rowid is long row)
            {
                using var blob = new SqliteBlob(connection, "results", "data", row);
                blob.Write(bytes);
            }
        }
        transaction.Commit();
        return inserted;
    }

    /// <summary>Results up to this many bytes are bound as a parameter; larger ones are written through a BLOB handle.</summary>
    private const int BoundLimit = 64 * 1024;

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Stores what is waiting, then closes.</summary>
    public void Dispose()
    {
        _batcher.Dispose();
        if (_writerConnection.IsValueCreated)
        {
            _writerConnection.Value.Dispose();
        }
    }
}
