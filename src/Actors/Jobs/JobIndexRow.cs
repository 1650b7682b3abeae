using System.Data.Common;

namespace Dpr.Actors.Jobs;

/// <summary>
/// A job index row as both indexes keep it: the state as its lower-case name, times as UTC ticks (exact,
/// and ordered as integers). One reader of a row instead of a copy in the SQLite and PostgreSQL indexes.
/// </summary>
internal static class JobIndexRow
{
    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    public const string Columns = "job_id, tenant, module, state, partition, error, starts, accepted_at, started_at, finished_at, idempotency_key, input_blob";

    /// <summary>Refuses a record that is not finished before it reaches the writer (whose failures are the database's only).</summary>
    public static void CheckFinished(IReadOnlyCollection<JobRecord> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.FirstOrDefault(j => j.IsOpen || j.FinishedAt is null) is { } open)
        {
            throw new ArgumentException($"job {open.JobId} is {open.State}: only finished jobs are indexed", nameof(jobs));
        }
    }

    /// <summary>A finished record as the values of <see cref="Columns"/> after the id, in order.</summary>
    public static object[] Values(JobRecord job) =>
        [job.Tenant, job.Module, IntakeSnapshot.Job.Wire(job.State), Nullable(job.Partition), Nullable(job.Error), job.Starts, job.AcceptedAt.UtcTicks,
         Nullable(job.StartedAt?.UtcTicks), job.FinishedAt!.Value.UtcTicks, Nullable(job.IdempotencyKey), Nullable(job.InputBlob)];

    public static JobRecord Read(DbDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        Enum.Parse<JobState>(reader.GetString(3), ignoreCase: true),
        null,
        Time(reader.GetInt64(7)),
        Partition: Text(reader, 4),
        Error: Text(reader, 5),
        Starts: reader.GetInt32(6),
        StartedAt: reader.IsDBNull(8) ? null : Time(reader.GetInt64(8)),
        FinishedAt: Time(reader.GetInt64(9)),
        IdempotencyKey: Text(reader, 10),
        InputBlob: Text(reader, 11));

    public static List<JobRecord> ReadAll(DbDataReader reader)
    {
        var jobs = new List<JobRecord>();
        while (reader.Read())
        {
            jobs.Add(Read(reader));
        }
        return jobs;
    }

    private static object Nullable(object? value) => value ?? DBNull.Value;

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static string? Text(DbDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
