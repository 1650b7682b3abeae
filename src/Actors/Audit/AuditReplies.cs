using MessagePack;

namespace Dpr.Actors.Audit;

public static class AuditReplies
{
    [MessagePackObject]
    public sealed record Recorded([property: Key(0)] long SequenceNr) : IAuditMessage;

    /// <summary>Entries are numbered 1 to <paramref name="SequenceNr"/> (0: none yet); none is ever deleted.</summary>
    [MessagePackObject]
    public sealed record Highest([property: Key(0)] long SequenceNr) : IAuditMessage;
}
