using MessagePack;

namespace Dpr.Actors.Regions;

public static class RegionReplies
{
    /// <param name="Hit">True when the module was already loaded: no reconfiguration.</param>
    [MessagePackObject]
    public sealed record Loaded(
        [property: Key(0)] string Partition,
        [property: Key(1)] string Module,
        [property: Key(2)] bool Hit) : IRegionReply;

    [MessagePackObject]
    public sealed record LoadFailed(
        [property: Key(0)] string Partition,
        [property: Key(1)] string Module,
        [property: Key(2)] string Reason) : IRegionReply;

    /// <summary>
    /// What a region manager knows: its status, module, and swap count, after its
    /// <paramref name="SequenceNr"/>-th event in its <paramref name="Incarnation"/> (one start of the actor).
    /// </summary>
    [MessagePackObject]
    public sealed record State(
        [property: Key(0)] string Partition,
        [property: Key(1)] RegionStatus Status,
        [property: Key(2)] string? Module,
        [property: Key(3)] string? PendingModule,
        [property: Key(4)] long Swaps,
        [property: Key(5)] long FailedSwaps,
        [property: Key(6)] string? FaultReason,
        [property: Key(7)] DateTimeOffset? LastUsed,
        [property: Key(8)] DateTimeOffset? LoadedAt,
        [property: Key(9)] Guid Incarnation = default,
        [property: Key(10)] long SequenceNr = 0) : IRegionReply;
}
