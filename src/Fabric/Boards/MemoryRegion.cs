namespace Dpr.Fabric.Boards;

/// <summary>A physical address range: the DDR window modules read their input from and write their output to.</summary>
public sealed record MemoryRegion(ulong Base, ulong Size);
