using Dpr.Actors.Journal;
using Npgsql;
using NpgsqlTypes;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Finished jobs in the journal's PostgreSQL database (table <c>dpr_jobs</c> in the journal's schema), with
/// the indexes of the SQLite <see cref="JobIndex"/>; every host on that database finds a job whichever host
/// ran it. One writer stores whatever records are waiting in one transaction and one round trip
/// (<c>ON CONFLICT DO NOTHING</c>: a record stored again changes nothing). The table is created by
/// <see cref="JournalSchema"/>.
/// </summary>
public sealed class PostgresJobIndex : IJobIndex
{
    /// <summary>The type of each of <see cref="JobIndexRow.Columns"/>.</summary>
    private static readonly NpgsqlDbType[] ColumnTypes =
    [
        NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Integer, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text,
    ];

    private readonly string _connectionString;
    private readonly string _table;
    private readonly GroupCommit<JobRecord, bool> _writer;

    public PostgresJobIndex(JournalSettings journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _connectionString = journal.ConnectionString;
        _table = JournalSchema.Table(journal, "dpr_jobs");
        _writer = new(nameof(PostgresJobIndex), InsertAsync);
    }

    /// <summary>The table, created if missing (by <see cref="JournalSchema"/>, under its lock).</summary>
    internal static string Ddl(string table) => $"""
        CREATE TABLE IF NOT EXISTS {table} (
          job_id uuid PRIMARY KEY,
          tenant text NOT NULL,
          module text NOT NULL,
          state text NOT NULL,
          partition text,
          error text,
          starts integer NOT NULL,
          accepted_at bigint NOT NULL,
          started_at bigint,
          finished_at bigint NOT NULL,
          idempotency_key text,
          input_blob text);
        CREATE INDEX IF NOT EXISTS dpr_jobs_tenant_accepted ON {table} (tenant, accepted_at);
        CREATE INDEX IF NOT EXISTS dpr_jobs_tenant_state_accepted ON {table} (tenant, state, accepted_at);
        CREATE INDEX IF NOT EXISTS dpr_jobs_key ON {table} (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX IF NOT EXISTS dpr_jobs_finished ON {table} (finished_at);
        CREATE INDEX IF NOT EXISTS dpr_jobs_blob ON {table} (input_blob) WHERE input_blob IS NOT NULL;
        """;

    public Task StoreAsync(IReadOnlyCollection<JobRecord> jobs)
    {
        JobIndexRow.CheckFinished(jobs);
        return Task.WhenAll(jobs.Select(_writer.AddAsync));
    }

    /// <exception cref="NpgsqlException">The database could not be reached.</exception>
    public JobRecord? Find(Guid jobId)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand($"SELECT {JobIndexRow.Columns} FROM {_table} WHERE job_id = @id", connection);
        command.Parameters.AddWithValue("id", jobId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? JobIndexRow.Read(reader) : null;
    }

    public IReadOnlyDictionary<(string Tenant, string Key), Guid> FindKeys(IReadOnlyCollection<(string Tenant, string Key)> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        using var connection = Open();
        using var command = new NpgsqlCommand($"""
            SELECT DISTINCT ON (j.tenant, j.idempotency_key) j.tenant, j.idempotency_key, j.job_id
            FROM {_table} j JOIN unnest(@tenants, @keys) AS k(tenant, key) ON j.tenant = k.tenant AND j.idempotency_key = k.key
            ORDER BY j.tenant, j.idempotency_key, j.accepted_at DESC
            """, connection);
        command.Parameters.AddWithValue("tenants", keys.Select(k => k.Tenant).ToArray());
        command.Parameters.AddWithValue("keys", keys.Select(k => k.Key).ToArray());
        using var reader = command.ExecuteReader();
        var found = new Dictionary<(string Tenant, string Key), Guid>();
        while (reader.Read())
        {
            found[(reader.GetString(0), reader.GetString(1))] = reader.GetGuid(2);
        }
        return found;
    }

    public IReadOnlyList<JobRecord> List(string tenant, JobState? state, int limit)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand($"SELECT {JobIndexRow.Columns} FROM {_table} WHERE tenant = @tenant {(state is null ? "" : "AND state = @state")} ORDER BY accepted_at DESC, job_id DESC LIMIT @limit", connection);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("limit", limit);
        if (state is { } s)
        {
            command.Parameters.AddWithValue("state", IntakeSnapshot.Job.Wire(s));
        }
        using var reader = command.ExecuteReader();
        return JobIndexRow.ReadAll(reader);
    }

    public bool Names(string key)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {_table} WHERE input_blob = @key)", connection);
        command.Parameters.AddWithValue("key", key);
        return (bool)command.ExecuteScalar()!;
    }

    public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset horizon, int limit)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand($"SELECT {JobIndexRow.Columns} FROM {_table} WHERE finished_at < @horizon ORDER BY finished_at LIMIT @limit", connection);
        command.Parameters.AddWithValue("horizon", horizon.UtcTicks);
        command.Parameters.AddWithValue("limit", limit);
        using var reader = command.ExecuteReader();
        return JobIndexRow.ReadAll(reader);
    }

    public int Delete(IReadOnlyCollection<Guid> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        using var connection = Open();
        using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE job_id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", jobIds.ToArray());
        return command.ExecuteNonQuery();
    }

    /// <summary>A batch of records in one transaction and one round trip (<see cref="PostgresInsert"/>).</summary>
    private Task<bool[]> InsertAsync(IReadOnlyList<JobRecord> batch)
    {
        var placeholders = string.Join(", ", ColumnTypes.Select((_, i) => $"${i + 1}"));
        return PostgresInsert.BatchAsync(_connectionString, batch.Select(job =>
        {
            var command = new NpgsqlBatchCommand($"INSERT INTO {_table} ({JobIndexRow.Columns}) VALUES ({placeholders}) ON CONFLICT (job_id) DO NOTHING");
            object[] values = [job.JobId, .. JobIndexRow.Values(job)];
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = values[i], NpgsqlDbType = ColumnTypes[i] });
            }
            return command;
        }));
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Stores what is waiting, then closes.</summary>
    public void Dispose() => _writer.Dispose();
}
