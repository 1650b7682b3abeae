using MessagePack;

namespace Dpr.Actors.Jobs;

public static class JobReplies
{
    /// <param name="Duplicate">The idempotency key was seen before: this is the job it made then.</param>
    [MessagePackObject]
    public sealed record Accepted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] bool Duplicate) : IDprMessage;

    /// <param name="Field">The field at fault (<c>module</c>, <c>input.shape</c>, <c>quota</c>, <c>journal</c>...).</param>
    /// <param name="RetryAfter">When trying again can succeed (a full queue or quota); null when it cannot.</param>
    [MessagePackObject]
    public sealed record Rejected(
        [property: Key(0)] string Field,
        [property: Key(1)] string Message,
        [property: Key(2)] TimeSpan? RetryAfter) : IDprMessage;

    [MessagePackObject]
    public sealed record JobStatus(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Tenant,
        [property: Key(2)] string Module,
        [property: Key(3)] string State,
        [property: Key(4)] string? Partition,
        [property: Key(5)] string? Error) : IDprMessage;

    [MessagePackObject]
    public sealed record NotFound([property: Key(0)] Guid JobId) : IDprMessage;

    [MessagePackObject]
    public sealed record JobList([property: Key(0)] JobStatus[] Jobs) : IDprMessage;

    [MessagePackObject]
    public sealed record QueueDepths([property: Key(0)] Dictionary<string, int> Queued) : IDprMessage;
}
