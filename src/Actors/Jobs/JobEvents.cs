using MessagePack;

namespace Dpr.Actors.Jobs;

/// <summary>Every transition of a job, in order. Keys are only ever appended.</summary>
public static class JobEvents
{
    /// <summary>Stored before the tenant is told the job exists: from here on it will run.</summary>
    [MessagePackObject]
    public sealed record JobAccepted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] JobRequest Request,
        [property: Key(2)] DateTimeOffset At) : IJobEvent;

    [MessagePackObject]
    public sealed record JobStarted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Partition,
        [property: Key(2)] string Module,
        [property: Key(3)] int Attempt,
        [property: Key(4)] DateTimeOffset At) : IJobEvent;

    [MessagePackObject]
    public sealed record JobCompleted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string ResultKey,
        [property: Key(2)] string RanOn,
        [property: Key(3)] DateTimeOffset At) : IJobEvent;

    [MessagePackObject]
    public sealed record JobFailed(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Reason,
        [property: Key(2)] DateTimeOffset At) : IJobEvent;

    [MessagePackObject]
    public sealed record JobCancelled(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string By,
        [property: Key(2)] DateTimeOffset At) : IJobEvent;
}
