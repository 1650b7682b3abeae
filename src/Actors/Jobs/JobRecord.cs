namespace Dpr.Actors.Jobs;

/// <summary>
/// What is known of a job: by the intake while it is open (and until its finished record is in the
/// <see cref="IJobIndex"/>), then by the index. The request (with its tensors) is kept only while the job is open.
/// </summary>
/// <param name="Starts">How many times it was started (on record), across restarts of the service.</param>
/// <param name="StartedAt">Its first start: the wait is <c>StartedAt - AcceptedAt</c>.</param>
/// <param name="InputBlob">
/// The blob holding its input, kept after the request is dropped: a blob is deleted only when no job
/// naming it is kept any more, so it must still be known which blob a finished job named.
/// </param>
/// <param name="IdempotencyKey">Kept after the request is dropped: a resubmission with it finds this job as long as the job is kept.</param>
public sealed record JobRecord(
    Guid JobId, string Tenant, string Module, JobState State, JobRequest? Request, DateTimeOffset AcceptedAt, string? Partition = null, string? Error = null, int Starts = 0,
    DateTimeOffset? StartedAt = null, DateTimeOffset? FinishedAt = null, string? InputBlob = null, string? IdempotencyKey = null)
{
    public bool IsOpen => State is JobState.Queued or JobState.Running;

    public JobReplies.JobStatus ToStatus() => new(JobId, Tenant, Module, State, Partition, Error, AcceptedAt, StartedAt, FinishedAt);
}
