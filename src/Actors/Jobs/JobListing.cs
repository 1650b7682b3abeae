namespace Dpr.Actors.Jobs;

/// <summary>A tenant's jobs as one list, newest first, from the two places they are: the intake (open jobs) and the index (finished ones).</summary>
public static class JobListing
{
    /// <summary>
    /// The newest <paramref name="limit"/> of both lists, each newest first (by acceptance time, then id, as
    /// both keep them). A job in both — it finished between the two look-ups — is listed once, as the
    /// index has it: a finished record is final.
    /// </summary>
    public static JobReplies.JobStatus[] Merge(IReadOnlyList<JobReplies.JobStatus> held, IReadOnlyList<JobReplies.JobStatus> stored, int limit)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(stored);
        var storedIds = stored.Select(j => j.JobId).ToHashSet();
        return [.. held.Where(j => !storedIds.Contains(j.JobId)).Concat(stored)
            .OrderByDescending(j => j.AcceptedAt).ThenByDescending(j => j.JobId)
            .Take(limit)];
    }
}
