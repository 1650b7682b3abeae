namespace Dpr.Actors.Jobs;

/// <summary>
/// Finished jobs, in storage rather than in memory: the record of each (state, error, times, idempotency
/// key, input blob) once its outcome is in the journal, for look-ups, listings and idempotency keys until
/// the retention deletes it. An SQLite file in the data directory (<see cref="JobIndex"/>), or, with a
/// PostgreSQL journal, that database (<see cref="PostgresJobIndex"/>). The intake lets go of a finished
/// job only once <see cref="StoreAsync"/> has committed its record, so a job is always in one of them.
/// Reads are blocking database calls: made off actors' threads.
/// </summary>
public interface IJobIndex : IDisposable
{
    /// <summary>
    /// Stores finished jobs' records (group commit: one transaction for whatever is waiting); completes once
    /// they are committed. A job already stored keeps its row: a finished record never changes, so storing
    /// it again (after a restart that replayed its outcome) changes nothing.
    /// </summary>
    Task StoreAsync(IReadOnlyCollection<JobRecord> jobs);

    JobRecord? Find(Guid jobId);

    /// <summary>The job each (tenant, idempotency key) that a stored job has names; keys without one are left out.</summary>
    IReadOnlyDictionary<(string Tenant, string Key), Guid> FindKeys(IReadOnlyCollection<(string Tenant, string Key)> keys);

    /// <summary>A tenant's stored jobs, newest first (by acceptance time, then id), optionally only those in <paramref name="state"/>.</summary>
    IReadOnlyList<JobRecord> List(string tenant, JobState? state, int limit);

    /// <summary>Whether a stored job names the blob <paramref name="key"/> as its input.</summary>
    bool Names(string key);

    /// <summary>At most <paramref name="limit"/> jobs that finished before <paramref name="horizon"/>, those that finished first first.</summary>
    IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset horizon, int limit);

    /// <summary>Deletes the rows of <paramref name="jobIds"/>; returns how many there were.</summary>
    int Delete(IReadOnlyCollection<Guid> jobIds);
}
