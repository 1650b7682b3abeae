using MessagePack;

namespace Dpr.Actors.Regions;

public static class RegionCommands
{
    /// <summary>Make <see cref="Module"/> the partition's module; answered with <see cref="RegionReplies.Loaded"/> or <see cref="RegionReplies.LoadFailed"/>.</summary>
    [MessagePackObject]
    public sealed record Load([property: Key(0)] string Module) : IRegionCommand;

    /// <summary>An operator clears a fault. Answered with the state.</summary>
    [MessagePackObject]
    public sealed record Reset([property: Key(0)] string By) : IRegionCommand;

    /// <summary>From the SEM monitor: an upset in this partition's frames.</summary>
    [MessagePackObject]
    public sealed record ReportUpset(
        [property: Key(0)] uint Frame,
        [property: Key(1)] int? Word,
        [property: Key(2)] int? Bit,
        [property: Key(3)] bool Corrected) : IRegionCommand;

    /// <summary>
    /// The static design was reloaded: every partition is empty now. Recorded as <see cref="RegionEvents.RegionInvalidated"/>;
    /// a partition held (<see cref="Hold"/>) is released by it. Answered with the state.
    /// </summary>
    [MessagePackObject]
    public sealed record Invalidate([property: Key(0)] string Reason) : IRegionCommand;

    /// <summary>
    /// A full load of the static design is about to rewrite the partition: the running job finishes (as
    /// before a swap), the module stops, and until <see cref="Invalidate"/> or <see cref="Release"/> (or
    /// <see cref="Within"/> passes) nothing is loaded or run. Answered with the state once held.
    /// </summary>
    [MessagePackObject]
    public sealed record Hold([property: Key(0)] string Reason, [property: Key(1)] TimeSpan Within) : IRegionCommand;

    /// <summary>
    /// The static load did not happen: with <see cref="Failure"/> (frames may have been written) the partition is
    /// faulted with it; without, nothing was written and the partition serves what it held. Answered with the state.
    /// </summary>
    [MessagePackObject]
    public sealed record Release([property: Key(0)] string? Failure) : IRegionCommand;

    [MessagePackObject]
    public sealed record GetState : IRegionCommand;
}
