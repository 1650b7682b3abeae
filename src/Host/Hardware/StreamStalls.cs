namespace Dpr.Host.Hardware;

/// <summary>Which AXI4-Stream the testbench throttles in a case (bit values are the vector file's).</summary>
[Flags]
public enum StreamStalls
{
    None = 0,

    /// <summary>Random TREADY low on the output, as a busy S2MM DMA would.</summary>
    Output = 1,

    /// <summary>Random TVALID gaps on the input, as a starved MM2S DMA would.</summary>
    Input = 2,
}
