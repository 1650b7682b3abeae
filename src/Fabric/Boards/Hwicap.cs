namespace Dpr.Fabric.Boards;

/// <summary>
/// The AXI HWICAP core (PG134) of a board's static design: where its AXI4-Lite registers are mapped
/// and how deep its write FIFO was built (<c>C_WRITE_FIFO_DEPTH</c>, 1024 words by default).
/// </summary>
public sealed record Hwicap(ulong Address, int WriteFifoDepth = Hwicap.DefaultWriteFifoDepth)
{
    /// <summary>PG134's default write FIFO depth, in 32-bit words.</summary>
    public const int DefaultWriteFifoDepth = 1024;
}
