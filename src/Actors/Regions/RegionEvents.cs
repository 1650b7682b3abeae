using MessagePack;

namespace Dpr.Actors.Regions;

/// <summary>The truth about a partition, in the order it happened. Keys are only ever appended.</summary>
public static class RegionEvents
{
    /// <summary>A write of <see cref="Module"/> begins; until its outcome is on record the partition's content is unknown.</summary>
    [MessagePackObject]
    public sealed record SwapStarted(
        [property: Key(0)] Guid SwapId,
        [property: Key(1)] string Module,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Reason,
        [property: Key(4)] DateTimeOffset At) : IRegionEvent;

    [MessagePackObject]
    public sealed record SwapCompleted(
        [property: Key(0)] Guid SwapId,
        [property: Key(1)] string Module,
        [property: Key(2)] double TransferMs,
        [property: Key(3)] long Bytes,
        [property: Key(4)] double TotalMs,
        [property: Key(5)] DateTimeOffset At) : IRegionEvent;

    /// <param name="RegionStateUnknown">Frames may have been written: the partition must be reloaded before use.</param>
    [MessagePackObject]
    public sealed record SwapFailed(
        [property: Key(0)] Guid SwapId,
        [property: Key(1)] string Module,
        [property: Key(2)] string Failure,
        [property: Key(3)] string Reason,
        [property: Key(4)] bool RegionStateUnknown,
        [property: Key(5)] DateTimeOffset At) : IRegionEvent;

    /// <summary>The SEM controller reported an upset in this partition's frames.</summary>
    [MessagePackObject]
    public sealed record UpsetDetected(
        [property: Key(0)] uint Frame,
        [property: Key(1)] int? Word,
        [property: Key(2)] int? Bit,
        [property: Key(3)] bool Corrected,
        [property: Key(4)] DateTimeOffset At) : IRegionEvent;

    [MessagePackObject]
    public sealed record RegionFaulted(
        [property: Key(0)] string Reason,
        [property: Key(1)] DateTimeOffset At) : IRegionEvent;

    /// <summary>An operator cleared a fault; the content is unknown until the next load.</summary>
    [MessagePackObject]
    public sealed record RegionReset(
        [property: Key(0)] string By,
        [property: Key(1)] DateTimeOffset At) : IRegionEvent;

    /// <summary>A full load of the static design rewrote every frame: the partition is empty.</summary>
    [MessagePackObject]
    public sealed record RegionInvalidated(
        [property: Key(0)] string Reason,
        [property: Key(1)] DateTimeOffset At) : IRegionEvent;
}
