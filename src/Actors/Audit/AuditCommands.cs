using MessagePack;

namespace Dpr.Actors.Audit;

public static class AuditCommands
{
    /// <summary>Store the entry; answered <see cref="AuditReplies.Recorded"/> once it is stored.</summary>
    [MessagePackObject]
    public sealed record Record([property: Key(0)] AuditEvents.ActionRecorded Entry) : IAuditMessage;

    /// <summary>The sequence number of the newest entry; answered <see cref="AuditReplies.Highest"/>.</summary>
    [MessagePackObject]
    public sealed record GetHighest : IAuditMessage;
}
