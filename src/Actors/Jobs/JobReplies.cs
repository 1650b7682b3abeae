using MessagePack;

namespace Dpr.Actors.Jobs;

public static class JobReplies
{
    /// <param name="Duplicate">The idempotency key was seen before: this is the job it made then.</param>
    [MessagePackObject]
    public sealed record Accepted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] bool Duplicate) : IDprMessage;

    /// <param name="Field">For <see cref="RejectionCode.Invalid"/>: the field at fault (<c>module</c>, <c>input.shape</c>...).</param>
    /// <param name="RetryAfter">When trying again can succeed (a full queue or quota, the journal); null when it cannot.</param>
    [MessagePackObject]
    public sealed record Rejected(
        [property: Key(0)] RejectionCode Code,
        [property: Key(1)] string? Field,
        [property: Key(2)] string Message,
        [property: Key(3)] TimeSpan? RetryAfter) : IDprMessage;

    [MessagePackObject]
    public sealed record JobStatus(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Tenant,
        [property: Key(2)] string Module,
        [property: Key(3)] JobState State,
        [property: Key(4)] string? Partition,
        [property: Key(5)] string? Error,
        [property: Key(6)] DateTimeOffset AcceptedAt = default,
        [property: Key(7)] DateTimeOffset? StartedAt = null,
        [property: Key(8)] DateTimeOffset? FinishedAt = null) : IDprMessage;

    [MessagePackObject]
    public sealed record NotFound([property: Key(0)] Guid JobId) : IDprMessage;

    /// <summary>The answer to <see cref="JobCommands.FindKey"/>.</summary>
    [MessagePackObject]
    public sealed record KeyHeld([property: Key(0)] bool Held) : IDprMessage;

    [MessagePackObject]
    public sealed record JobList([property: Key(0)] JobStatus[] Jobs) : IDprMessage;

    /// <param name="Work">The board time the queued jobs ask for per module (<see cref="TenantLoad.Work"/>).</param>
    /// <param name="OpenJobs">Open (queued or running) jobs per tenant, as the quotas count them.</param>
    /// <param name="OpenWork">Their board time per tenant.</param>
    [MessagePackObject]
    public sealed record QueueDepths(
        [property: Key(0)] Dictionary<string, int> Queued,
        [property: Key(1)] Dictionary<string, TimeSpan> Work,
        [property: Key(2)] Dictionary<string, int> OpenJobs,
        [property: Key(3)] Dictionary<string, TimeSpan> OpenWork) : IDprMessage;
}
