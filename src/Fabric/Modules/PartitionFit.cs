using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Modules;

/// <summary>
/// Which partition of a board a partial fits exactly, judged by <see cref="LoadVerdict"/> against every
/// partition: the one that fits, or each partition's reason for refusing it.
/// </summary>
/// <param name="Verdicts">Every partition's verdict, in the board's order.</param>
public sealed record PartitionFit(Board Board, IReadOnlyList<(Partition Partition, LoadVerdict Verdict)> Verdicts)
{
    /// <summary>The partition whose frames the partial writes exactly; null when none. Partitions do not overlap, so there is at most one.</summary>
    public Partition? Partition => Verdicts.FirstOrDefault(v => v.Verdict.Fits).Partition;

    public bool Fits => Partition is not null;

    /// <summary>
    /// Fits; else the outcome every partition agrees on (a wrong device or a bad CRC is wrong for all of
    /// them); else <see cref="VerdictOutcome.OutsidePartition"/>.
    /// </summary>
    public VerdictOutcome Outcome =>
        Fits ? VerdictOutcome.Fits
        : Verdicts.Select(v => v.Verdict.Outcome).Distinct().Count() == 1 ? Verdicts[0].Verdict.Outcome
        : VerdictOutcome.OutsidePartition;

    /// <summary>The fitting verdict; a reason all partitions share once; otherwise each partition's reason.</summary>
    public string Reason =>
        Verdicts.FirstOrDefault(v => v.Verdict.Fits).Verdict?.Reason
        ?? (Verdicts.Select(v => v.Verdict.Reason).Distinct().Count() == 1
            ? Verdicts[0].Verdict.Reason
            : $"it fits no partition of board '{Board.Name}': " + string.Join("; ", Verdicts.Select(v => $"{v.Partition.Name}: {v.Verdict.Reason}")));

    public static PartitionFit Of(Bitstream partial, Board board) =>
        new(board, [.. board.Partitions.Select(p => (p, LoadVerdict.Check(partial, board, p)))]);
}
