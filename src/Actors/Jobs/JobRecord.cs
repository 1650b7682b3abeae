namespace Dpr.Actors.Jobs;

/// <summary>What the intake knows of a job; the request (with its tensors) is kept only while the job is open.</summary>
/// <param name="Starts">How many times it was started (on record), across restarts of the service.</param>
/// <param name="StartedAt">Its first start: the wait is <c>StartedAt - AcceptedAt</c>.</param>
public sealed record JobRecord(
    Guid JobId, string Tenant, string Module, JobState State, JobRequest? Request, DateTimeOffset AcceptedAt, string? Partition = null, string? Error = null, int Starts = 0,
    DateTimeOffset? StartedAt = null, DateTimeOffset? FinishedAt = null)
{
    public bool IsOpen => State is JobState.Queued or JobState.Running;

    public JobReplies.JobStatus ToStatus() => new(JobId, Tenant, Module, State, Partition, Error, AcceptedAt, StartedAt, FinishedAt);
}
