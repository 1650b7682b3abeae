using System.Data;
using Dpr.Actors.Journal;
using Npgsql;
using NpgsqlTypes;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Job results in the journal's PostgreSQL database (table <c>dpr_results</c> in the journal's schema), so
/// every host on that database finds a result whichever host ran the job. Written once per job id
/// (<c>ON CONFLICT DO NOTHING</c>: a job that ran twice keeps its first result). As in the SQLite
/// <see cref="ResultStore"/>, one writer stores whatever results are waiting in one transaction and one
/// round trip, so a commit is shared rather than paid per result. The table is created by
/// <see cref="JournalSchema"/>.
/// </summary>
public sealed class PostgresResultStore : IResultStore
{
    /// <summary>Results <see cref="Prune"/> reads at a time: its memory does not grow with what is stored.</summary>
    private const int PrunePage = 1000;

    private readonly string _connectionString;
    private readonly string _table;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly GroupCommit<(StoredResult Meta, byte[] Data), bool> _batcher;

    /// <param name="time">Stamps each result as it is written (what <see cref="Prune"/> compares); the system clock by default.</param>
    public PostgresResultStore(JournalSettings journal, TimeSpan retention, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _connectionString = journal.ConnectionString;
        _table = JournalSchema.Table(journal, "dpr_results");
        _retention = retention;
        _time = time ?? TimeProvider.System;
        _batcher = new(nameof(PostgresResultStore), InsertAsync);
    }

    /// <summary>The table, created if missing (by <see cref="JournalSchema"/>, under its lock).</summary>
    internal static string Ddl(string table) => $"""
        CREATE TABLE IF NOT EXISTS {table} (
          job_id uuid PRIMARY KEY,
          meta text NOT NULL,
          data bytea NOT NULL,
          stored_at bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS dpr_results_stored_at ON {table} (stored_at);
        """;

    public Task<bool> StoreAsync(StoredResult meta, byte[] data) => _batcher.AddAsync((meta, data));

    /// <exception cref="NpgsqlException">The database could not be reached.</exception>
    public (StoredResult Meta, byte[] Data)? TryLoad(Guid jobId)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand($"SELECT meta, data FROM {_table} WHERE job_id = @id", connection);
        command.Parameters.AddWithValue("id", jobId);
        using var reader = command.ExecuteReader();
        return StoredResult.Read(reader, jobId);
    }

    /// <summary>The result read with <see cref="CommandBehavior.SequentialAccess"/>, its bytes streamed off the connection; null when none is stored.</summary>
    /// <exception cref="NpgsqlException">The database could not be reached.</exception>
    public ResultStream? TryOpen(Guid jobId)
    {
        var connection = Open();
        NpgsqlCommand? command = null;
        NpgsqlDataReader? reader = null;
        try
        {
            command = new NpgsqlCommand($"SELECT meta, octet_length(data), data FROM {_table} WHERE job_id = @id", connection);
            command.Parameters.AddWithValue("id", jobId);
            reader = command.ExecuteReader(CommandBehavior.SequentialAccess);
            if (!reader.Read())
            {
                reader.Dispose();
                command.Dispose();
                connection.Dispose();
                return null;
            }
            // In column order: sequential access reads each column once, forwards.
            var meta = StoredResult.FromJson(reader.GetString(0), jobId);
            var length = reader.GetInt32(1);
            return new ResultStream(meta, length, reader.GetStream(2), reader, command, connection);
        }
        catch
        {
            reader?.Dispose();
            command?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    public int Delete(IEnumerable<Guid> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        using var connection = Open();
        using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE job_id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", jobIds.ToArray());
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// Deletes results stored before <paramref name="now"/> minus the retention whose job
    /// <paramref name="known"/> says is no longer kept, a page at a time in storage order; returns how
    /// many. Another host's old results may go too: they are past the retention that host keeps them for as well.
    /// </summary>
    public int Prune(DateTimeOffset now, Func<Guid, bool> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var before = (now - _retention).ToUnixTimeMilliseconds();
        var (afterAt, afterId, deleted) = (long.MinValue, Guid.Empty, 0);
        while (true)
        {
            var page = new List<(long At, Guid Id)>(PrunePage);
            using (var connection = Open())
            using (var command = new NpgsqlCommand($"SELECT stored_at, job_id FROM {_table} WHERE stored_at < @before AND (stored_at, job_id) > (@at, @id) ORDER BY stored_at, job_id LIMIT @page", connection))
            {
                command.Parameters.AddWithValue("before", before);
                command.Parameters.AddWithValue("at", afterAt);
                command.Parameters.AddWithValue("id", afterId);
                command.Parameters.AddWithValue("page", PrunePage);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    page.Add((reader.GetInt64(0), reader.GetGuid(1)));
                }
            }
            deleted += Delete(page.Select(r => r.Id).Where(id => !known(id)));
            if (page.Count < PrunePage)
            {
                return deleted;
            }
            (afterAt, afterId) = page[^1];
        }
    }

    /// <summary>A batch of results in one transaction and one round trip (<see cref="PostgresInsert"/>).</summary>
    private Task<bool[]> InsertAsync(IReadOnlyList<(StoredResult Meta, byte[] Data)> batch) =>
        PostgresInsert.BatchAsync(_connectionString, batch.Select(result =>
        {
            var command = new NpgsqlBatchCommand($"INSERT INTO {_table} (job_id, meta, data, stored_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING");
            command.Parameters.Add(new NpgsqlParameter { Value = result.Meta.JobId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = result.Meta.ToJson(), NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = result.Data, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter { Value = _time.GetUtcNow().ToUnixTimeMilliseconds(), NpgsqlDbType = NpgsqlDbType.Bigint });
            return command;
        }));

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Stores what is waiting, then closes.</summary>
    public void Dispose() => _batcher.Dispose();
}
