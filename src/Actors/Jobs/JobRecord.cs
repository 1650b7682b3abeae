namespace Dpr.Actors.Jobs;

/// <summary>What the intake knows of a job; the request (with its tensors) is kept only while the job is open.</summary>
/// <param name="Starts">How many times it was started (on record), across restarts of the service.</param>
/// <param name="StartedAt">Its first start: the wait is <c>StartedAt - AcceptedAt</c>.</param>
/// <param name="InputBlob">
/// The blob holding its input, kept after the request is dropped: the blob is deleted when the last job
/// naming it is forgotten, so it must still be known which blob a finished job named.
/// </param>
public sealed record JobRecord(
    Guid JobId, string Tenant, string Module, JobState State, JobRequest? Request, DateTimeOffset AcceptedAt, string? Partition = null, string? Error = null, int Starts = 0,
    DateTimeOffset? StartedAt = null, DateTimeOffset? FinishedAt = null, string? InputBlob = null)
{
    public bool IsOpen => State is JobState.Queued or JobState.Running;

    public JobReplies.JobStatus ToStatus() => new(JobId, Tenant, Module, State, Partition, Error, AcceptedAt, StartedAt, FinishedAt);
}
