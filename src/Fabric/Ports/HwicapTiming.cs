namespace Dpr.Fabric.Ports;

/// <summary>
/// The modelled time of a write through <see cref="HwicapPort"/>: the processor moves every word with
/// one AXI4-Lite write to the write FIFO keyhole, and per FIFO-full batch it writes CR.Write and reads
/// the vacancy, CR (until the core clears it) and SR; the core moves the batch to the ICAP at one word
/// per fabric clock (PG134: the ICAP side is 32 bits at the AXI clock, 400 MB/s at 100 MHz), and the
/// port waits for that before refilling, as the Xilinx driver does. So the ICAP's 400 MB/s is not the
/// bound: the AXI4-Lite write rate is.
/// </summary>
/// <param name="CyclesPerAccess">
/// Fabric clock cycles one processor-issued AXI4-Lite access costs through M_AXI_GP0 (Cortex-A9 store,
/// PS interconnect, AXI interconnect, the core's AXI4-Lite slave). 20 is our assumption: it gives
/// 20 MB/s at 100 MHz, the order reported for a processor-fed AXI HWICAP on Zynq-7000 (about 19 MB/s in
/// Vipin and Fahmy's ZyCAP comparison); measure it on the board with <c>dpr bench swap</c>'s successor on hardware.
/// </param>
public sealed record HwicapTiming(double FabricClockMHz = 100, int WriteFifoDepth = 1024, int CyclesPerAccess = 20, int AccessesPerBatch = 4)
{
    public TimeSpan TransferTime(long bytes)
    {
        var words = (bytes + 3) / 4;
        var batches = (words + WriteFifoDepth - 1) / WriteFifoDepth;
        var cycles = (words * CyclesPerAccess) + (batches * AccessesPerBatch * CyclesPerAccess) + words;
        return TimeSpan.FromSeconds(cycles / (FabricClockMHz * 1e6));
    }

    /// <summary>Bytes per second the model sustains on a long stream.</summary>
    public double BytesPerSecond => 4 * FabricClockMHz * 1e6 / (CyclesPerAccess + 1 + ((double)AccessesPerBatch * CyclesPerAccess / WriteFifoDepth));
}
