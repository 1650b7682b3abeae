using MessagePack;

namespace Dpr.Actors.Jobs;

public static class JobCommands
{
    /// <summary>Answered with <see cref="JobReplies.Accepted"/> once <see cref="JobEvents.JobAccepted"/> is stored, or <see cref="JobReplies.Rejected"/>.</summary>
    [MessagePackObject]
    public sealed record Submit([property: Key(0)] JobRequest Request) : IDprMessage;

    [MessagePackObject]
    public sealed record GetJob([property: Key(0)] Guid JobId) : IDprMessage;
}
