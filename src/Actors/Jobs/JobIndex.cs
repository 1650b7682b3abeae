using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Finished jobs in an SQLite file (<c>./data/jobs.db</c>, WAL, an fsync per commit), a row per job,
/// indexed by tenant and acceptance time (listings, also per state), by tenant and idempotency key, by
/// finish time (the retention) and by input blob (whether a blob is still named). One writer stores
/// whatever records are waiting in one transaction (<see cref="GroupCommit{TItem, TOutcome}"/>); a file of
/// its own, so its commits do not wait for the results' writer. With a PostgreSQL journal
/// <see cref="PostgresJobIndex"/> is used instead.
/// </summary>
public sealed class JobIndex : IJobIndex
{
    private readonly string _connectionString;
    private readonly GroupCommit<JobRecord, bool> _writer;
    /// <summary>The writer's own connection, opened once.</summary>
    private readonly Lazy<SqliteConnection> _writerConnection;

    /// <param name="path">The database file, created if missing.</param>
    public JobIndex(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using (var connection = Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS jobs (
                  job_id TEXT PRIMARY KEY,
                  tenant TEXT NOT NULL,
                  module TEXT NOT NULL,
                  state TEXT NOT NULL,
                  partition TEXT,
                  error TEXT,
                  starts INTEGER NOT NULL,
                  accepted_at INTEGER NOT NULL,
                  started_at INTEGER,
                  finished_at INTEGER NOT NULL,
                  idempotency_key TEXT,
                  input_blob TEXT);
                CREATE INDEX IF NOT EXISTS jobs_tenant_accepted ON jobs (tenant, accepted_at);
                CREATE INDEX IF NOT EXISTS jobs_tenant_state_accepted ON jobs (tenant, state, accepted_at);
                CREATE INDEX IF NOT EXISTS jobs_key ON jobs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at);
                CREATE INDEX IF NOT EXISTS jobs_blob ON jobs (input_blob) WHERE input_blob IS NOT NULL;
                """;
            command.ExecuteNonQuery();
        }
        _writerConnection = new(Open);
        _writer = new(nameof(JobIndex), batch => Task.FromResult(Insert(batch)));
    }

    public Task StoreAsync(IReadOnlyCollection<JobRecord> jobs)
    {
        JobIndexRow.CheckFinished(jobs);
        return Task.WhenAll(jobs.Select(_writer.AddAsync));
    }

    public JobRecord? Find(Guid jobId)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobIndexRow.Columns} FROM jobs WHERE job_id = $id";
        command.Parameters.AddWithValue("$id", jobId.ToString("N"));
        using var reader = command.ExecuteReader();
        return reader.Read() ? JobIndexRow.Read(reader) : null;
    }

    public IReadOnlyDictionary<(string Tenant, string Key), Guid> FindKeys(IReadOnlyCollection<(string Tenant, string Key)> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<(string Tenant, string Key), Guid>();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT job_id FROM jobs WHERE tenant = $tenant AND idempotency_key = $key ORDER BY accepted_at DESC LIMIT 1";
        var tenant = command.Parameters.Add("$tenant", SqliteType.Text);
        var key = command.Parameters.Add("$key", SqliteType.Text);
        foreach (var k in keys)
        {
            (tenant.Value, key.Value) = (k.Tenant, k.Key);
            if (command.ExecuteScalar() is string id)
            {
                found[k] = Guid.ParseExact(id, "N");
            }
        }
        return found;
    }

    public IReadOnlyList<JobRecord> List(string tenant, JobState? state, int limit)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobIndexRow.Columns} FROM jobs WHERE tenant = $tenant {(state is null ? "" : "AND state = $state")} ORDER BY accepted_at DESC, job_id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$limit", limit);
        if (state is { } s)
        {
            command.Parameters.AddWithValue("$state", IntakeSnapshot.Job.Wire(s));
        }
        using var reader = command.ExecuteReader();
        return JobIndexRow.ReadAll(reader);
    }

    public bool Names(string key)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM jobs WHERE input_blob = $key)";
        command.Parameters.AddWithValue("$key", key);
        return (long)command.ExecuteScalar()! == 1;
    }

    public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset horizon, int limit)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobIndexRow.Columns} FROM jobs WHERE finished_at < $horizon ORDER BY finished_at LIMIT $limit";
        command.Parameters.AddWithValue("$horizon", horizon.UtcTicks);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        return JobIndexRow.ReadAll(reader);
    }

    public int Delete(IReadOnlyCollection<Guid> jobIds)
    {
        using var connection = Open();
        return SqliteRows.DeleteJobs(connection, "jobs", jobIds);
    }

    /// <summary>How many jobs are stored.</summary>
    public long Count()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>A batch of records in one transaction; per record, true when it was inserted (false: the job had a row).</summary>
    private bool[] Insert(IReadOnlyList<JobRecord> batch)
    {
        var connection = _writerConnection.Value;
        var inserted = new bool[batch.Count];
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT OR IGNORE INTO jobs ({JobIndexRow.Columns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11)";
        // Typed by each value when bound: text, integer or null.
        var parameters = Enumerable.Range(0, 12).Select(i => command.Parameters.AddWithValue($"$p{i}", DBNull.Value)).ToArray();
        for (var i = 0; i < batch.Count; i++)
        {
            var values = JobIndexRow.Values(batch[i]);
            parameters[0].Value = batch[i].JobId.ToString("N");
            for (var v = 0; v < values.Length; v++)
            {
                parameters[v + 1].Value = values[v];
            }
            inserted[i] = command.ExecuteNonQuery() == 1;
        }
        transaction.Commit();
        return inserted;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Stores what is waiting, then closes.</summary>
    public void Dispose()
    {
        _writer.Dispose();
        if (_writerConnection.IsValueCreated)
        {
            _writerConnection.Value.Dispose();
        }
    }
}
