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

    /// <summary>The static design was reloaded: every partition is empty now.</summary>
    [MessagePackObject]
    public sealed record Invalidate([property: Key(0)] string Reason) : IRegionCommand;

    [MessagePackObject]
    public sealed record GetState : IRegionCommand;
}
