using Dpr.Actors.Jobs;
using MessagePack;

namespace Dpr.Actors.Fleet;

/// <summary>What the fleet asks of a board entity (sharded by board id, docs/fleet.md).</summary>
public static class BoardCommands
{
    /// <summary>A job for the board's intake; answered by the intake as <see cref="JobCommands.Submit"/> is.</summary>
    [MessagePackObject]
    public sealed record Submit(
        [property: Key(0)] string Board,
        [property: Key(1)] JobCommands.Submit Job) : IBoardCommand;

    /// <summary>Answered with <see cref="BoardReplies.Load"/>; starts the board when it is not running.</summary>
    [MessagePackObject]
    public sealed record GetLoad([property: Key(0)] string Board) : IBoardCommand;

    /// <summary>Answered with <see cref="BoardReplies.Regions"/>: the board's partitions as its region managers report them.</summary>
    [MessagePackObject]
    public sealed record GetRegions([property: Key(0)] string Board) : IBoardCommand;

    /// <summary>A job the board's intake holds; answered as <see cref="JobCommands.GetJob"/> is.</summary>
    [MessagePackObject]
    public sealed record GetJob(
        [property: Key(0)] string Board,
        [property: Key(1)] Guid JobId) : IBoardCommand;

    /// <summary>Whether the board's intake would find a job by this idempotency key; answered as <see cref="JobCommands.FindKey"/> is.</summary>
    [MessagePackObject]
    public sealed record FindKey(
        [property: Key(0)] string Board,
        [property: Key(1)] JobCommands.FindKey Query) : IBoardCommand;

    /// <summary>A tenant's jobs the board's intake holds; answered as <see cref="JobCommands.ListJobs"/> is.</summary>
    [MessagePackObject]
    public sealed record ListJobs(
        [property: Key(0)] string Board,
        [property: Key(1)] JobCommands.ListJobs Query) : IBoardCommand;

    /// <summary>An operator's load of <see cref="Module"/> into a partition of the board; answered as <see cref="Regions.RegionCommands.Load"/> is, or with <see cref="BoardReplies.Refused"/>.</summary>
    [MessagePackObject]
    public sealed record LoadRegion(
        [property: Key(0)] string Board,
        [property: Key(1)] string Partition,
        [property: Key(2)] string Module) : IBoardCommand;

    /// <summary>An operator clears a partition's fault; answered with the partition's <see cref="Regions.RegionReplies.State"/> after it, or with <see cref="BoardReplies.Refused"/>.</summary>
    [MessagePackObject]
    public sealed record ResetRegion(
        [property: Key(0)] string Board,
        [property: Key(1)] string Partition,
        [property: Key(2)] string By) : IBoardCommand;

    /// <summary>A configuration bit flipped in the partition's frames of the simulated board (fault injection); answered with <see cref="BoardReplies.Struck"/> or <see cref="BoardReplies.Refused"/>.</summary>
    [MessagePackObject]
    public sealed record StrikeRegion(
        [property: Key(0)] string Board,
        [property: Key(1)] string Partition,
        [property: Key(2)] bool Correctable) : IBoardCommand;

    /// <summary>The board's metrics in Prometheus' text format, each series labelled with the board; answered with <see cref="BoardReplies.Metrics"/>.</summary>
    [MessagePackObject]
    public sealed record GetMetrics([property: Key(0)] string Board) : IBoardCommand;
}
