namespace Dpr.Fabric.Boards;

/// <summary>A board profile derived from real files: the board, its JSON, where each partition came from and what could not be derived.</summary>
/// <param name="Sources">Per partition (board order), the partials whose footprint it is.</param>
/// <param name="NotDerived">Fields the files do not say, to be filled in by hand (decouplers, DMA, memory...).</param>
public sealed record DerivedBoard(Board Board, string Json, IReadOnlyList<IReadOnlyList<string>> Sources, IReadOnlyList<string> NotDerived);
