namespace Dpr.Fabric.Simulation;

/// <summary>
/// How fast a simulated convolution module computes, in GOPS (2 ops per multiply-accumulate) per
/// precision, when a board is told so explicitly (<see cref="SimulatedBoardOptions.Throughput"/>); by
/// default the simulated board times modules with <see cref="RtlCycleModel"/> instead. <see cref="Paper"/>
/// is the original paper's measured FPGA throughput: 81.2 / 55.4 / 35.1 GOPS for int8 / int16 / int32
/// (its figures, not ours; docs/hardware.md compares them with what the device's DSPs and our RTL can do
/// at 100 MHz).
/// </summary>
public sealed record ModuleThroughput(double Int8Gops, double Int16Gops, double Int32Gops)
{
    public static ModuleThroughput Paper { get; } = new(81.2, 55.4, 35.1);

    public double GopsFor(int bits) => bits switch
    {
        8 => Int8Gops,
        16 => Int16Gops,
        _ => Int32Gops,
    };

    /// <summary>Fabric clock cycles for <paramref name="multiplyAccumulates"/> at <paramref name="clockMHz"/>.</summary>
    public long Cycles(long multiplyAccumulates, int bits, double clockMHz) =>
        (long)Math.Ceiling(2.0 * multiplyAccumulates / (GopsFor(bits) * 1e9) * clockMHz * 1e6);
}
