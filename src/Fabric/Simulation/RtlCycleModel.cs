using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// Clock cycles of hardware/rtl/conv_rm.v for a pass and a weight upload, as its <c>CYCLES</c> register
/// counts them with both streams flowing (no input gaps, TREADY high), derived from the RTL's schedule
/// and checked against Icarus runs of the testbench (tests/Host.Tests/Hardware/RtlCycleModelTests.cs,
/// within 2%; docs/hardware.md, "Cycle model"):
/// <list type="bullet">
/// <item>The scan: per frame, rows from the first image row to the last padded row (the top padding
/// rows end no window and are skipped), per row one slot per padding column and ceil(CIN/PI) slots per
/// image column.</item>
/// <item>A window's result leaves the chain <see cref="ChainLatency"/> slots after its last slot; the
/// serializer then takes COUT cycles to send the group's results, and the front end waits while it is
/// still sending the previous pixel's (cin small, COUT large).</item>
/// <item>Fixed cycles: START to the first data slot and the last result to DONE,
/// <see cref="FixedCycles"/>, less the padding columns of the first row, which run before the first beat
/// arrives.</item>
/// <item>A weight upload is one beat per clock: ceil(CIN/PI) words of ceil(PO·PI·K²·P/64) beats, plus
/// <see cref="UploadFixedCycles"/>.</item>
/// </list>
/// </summary>
public static class RtlCycleModel
{
    /// <summary>START to the first data slot plus the last serializer load to DONE: measured, 12.</summary>
    public const int FixedCycles = 12;

    /// <summary>LOAD_WEIGHTS to its first beat plus the last beat to DONE.</summary>
    public const int UploadFixedCycles = 4;

    /// <summary>Slot to result: stages p, c, m1, m2, leaves, ceil(log2(PI·K)) adder levels, chain.</summary>
    public static int ChainLatency(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var leaves = ConvParallelism.For(module).InputLanes * module.KernelSize;
        return 6 + (int)Math.Ceiling(Math.Log2(leaves));
    }

    public static long WeightUploadCycles(ConvModule module, int inputChannels)
    {
        ArgumentNullException.ThrowIfNull(module);
        var lanes = ConvParallelism.For(module);
        return (long)lanes.Chunks(inputChannels) * lanes.BeatsPerWeightWord(module) + UploadFixedCycles;
    }

    /// <summary>One pass: the frames of <paramref name="input"/> ([N, CIN, H, W]) into a group of <paramref name="groupChannels"/> output channels.</summary>
    public static long PassCycles(ConvSpec spec, TensorShape input, int groupChannels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var module = spec.Module;
        var k = module.KernelSize;
        var pad = spec.Pad;
        var (paddedW, paddedH) = (input.W + (2 * pad), input.H + (2 * pad));
        var chunks = ConvParallelism.For(module).Chunks(input.C);
        var latency = ChainLatency(module);
        long slot = 0, stall = 0, lastLoad = long.MinValue, serializerFree = long.MinValue;
        for (var frame = 0; frame < input.N; frame++)
        {
            for (var row = pad; row < paddedH; row++)
            {
                for (var col = 0; col < paddedW; col++)
                {
                    var padding = col < pad || col >= pad + input.W;
                    slot += padding ? 1 : chunks;
                    var output = row >= k - 1 && col >= k - 1 && (spec.Stride == 1 || (row % 2 == 0 && col % 2 == 0));
                    if (output)
                    {
                        var ready = slot - 1 + latency + stall;
                        var load = Math.Max(ready, serializerFree);
                        stall += load - ready;
                        serializerFree = load + groupChannels;
                        lastLoad = load;
                    }
                }
            }
        }
        var scanEnd = slot - 1 + stall + latency;
        return FixedCycles - pad + Math.Max(lastLoad + groupChannels, scanEnd);
    }

    /// <summary>
    /// A whole job as <see cref="ConvDriver"/> runs it: per pass of <paramref name="plan"/> (by default the
    /// largest the module's line buffer and weight memory take, <see cref="ConvPassPlan.For"/>) a weight
    /// upload and a pass. The passes of one shape take the same cycles, so each shape is counted once.
    /// </summary>
    public static long JobCycles(ConvSpec spec, TensorShape input, int outputChannels, ConvPassPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        plan ??= ConvPassPlan.For(spec, input, outputChannels, ConvParallelism.For(spec.Module)) ?? new ConvPassPlan(1, 1);
        return plan.Each(input.C, outputChannels)
            .GroupBy(pass => pass)
            .Sum(passes => passes.Count() * (WeightUploadCycles(spec.Module, passes.Key.Channels) + PassCycles(spec, input with { C = passes.Key.Channels }, passes.Key.Group)));
    }
}
