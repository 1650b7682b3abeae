namespace Dpr.Fabric.Boards;

/// <summary>
/// The static design's ID/version register: a 32-bit word the design returns at <see cref="Address"/>
/// (an AXI GPIO or constant register built into the static design), which only that design returns.
/// </summary>
public sealed record StaticId(ulong Address, uint Value);
