namespace Dpr.Actors.Jobs;

/// <summary>What the intake knows of a job; the request (with its tensors) is kept only while the job is open.</summary>
/// <param name="Starts">How many times it was started (on record), across restarts of the service.</param>
public sealed record JobRecord(Guid JobId, string Tenant, string Module, string State, JobRequest? Request, DateTimeOffset AcceptedAt, string? Partition = null, string? Error = null, int Starts = 0)
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public bool IsOpen => State is Queued or Running;

    public JobReplies.JobStatus ToStatus() => new(JobId, Tenant, Module, State, Partition, Error);
}
