using MessagePack;

namespace Dpr.Actors.Jobs;

public static class JobCommands
{
    /// <summary>
    /// Answered with <see cref="JobReplies.Accepted"/> once <see cref="JobEvents.JobAccepted"/> is stored, or
    /// <see cref="JobReplies.Rejected"/>. <paramref name="Checked"/>: the submitter already ran
    /// <see cref="JobRequest.Check"/> (off the intake's thread), and may have moved the input to the blob store.
    /// </summary>
    [MessagePackObject]
    public sealed record Submit(
        [property: Key(0)] JobRequest Request,
        [property: Key(1)] bool Checked = false) : IDprMessage;

    [MessagePackObject]
    public sealed record GetJob([property: Key(0)] Guid JobId) : IDprMessage;

    /// <summary>
    /// Whether a submission with this tenant's idempotency key would find a job here (held, being stored,
    /// being looked up, or in the job index); answered with <see cref="JobReplies.KeyHeld"/>. A fleet asks
    /// every board before placing a keyed job, so a retry reaches the board that has the first attempt.
    /// </summary>
    [MessagePackObject]
    public sealed record FindKey(
        [property: Key(0)] string Tenant,
        [property: Key(1)] string Key) : IDprMessage;

    /// <summary>A tenant's jobs, newest first, optionally in one state; answered with <see cref="JobReplies.JobList"/>.</summary>
    [MessagePackObject]
    public sealed record ListJobs(
        [property: Key(0)] string Tenant,
        [property: Key(1)] JobState? State,
        [property: Key(2)] int Limit) : IDprMessage;

    /// <summary>Queued (not yet started) jobs per module; answered with <see cref="JobReplies.QueueDepths"/>.</summary>
    [MessagePackObject]
    public sealed record GetQueueDepths : IDprMessage;

    /// <summary>From the dispatcher: the job went to a partition (or the CPU). Recorded, not answered.</summary>
    [MessagePackObject]
    public sealed record RecordStarted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Partition,
        [property: Key(2)] string Module,
        [property: Key(3)] int Attempt) : IDprMessage;

    /// <summary>From the dispatcher: the result is stored. Recorded once per job, whatever happens twice.</summary>
    [MessagePackObject]
    public sealed record RecordCompleted(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string ResultKey,
        [property: Key(2)] string RanOn) : IDprMessage;

    [MessagePackObject]
    public sealed record RecordFailed(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Reason) : IDprMessage;

    [MessagePackObject]
    public sealed record RecordCancelled(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string By) : IDprMessage;
}
