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
/// rows end no window and are skipped), per row one slot per padding column and ceil(CIN/PI) chunks per
/// image column, each chunk one slot, or K when the module takes a kernel row a clock
/// (<see cref="ConvParallelism.RowClocks"/>, conv5x5_int32).</item>
/// <item>A window's result leaves the chain <see cref="ChainLatency"/> slots after its last slot; the
/// serializer then takes COUT cycles to send the group's results, and the front end waits while it is
/// still sending the previous pixel's (cin small, COUT large).</item>
/// <item>Fixed cycles: START to the first data slot and the last result to DONE,
/// <see cref="FixedCycles"/>, less the padding columns of the first row, which run before the first beat
/// arrives; a scan that goes on after its last window ends when it has drained instead
/// (<see cref="LoadToDoneCycles"/>).</item>
/// <item>Stride 2 on a module with the stride-2 front end (<see cref="ConvParallelism.Stride2Rows"/>):
/// <see cref="Stride2CycleModel"/>.</item>
/// <item>A weight upload is one beat per clock: ceil(CIN/PI) words of ceil(PO·PI·K²·P/64) beats, plus
/// <see cref="UploadFixedCycles"/>, plus K when the module stores the last word a kernel row a clock.</item>
/// </list>
/// </summary>
public static class RtlCycleModel
{
    /// <summary>START to the first data slot plus the last serializer load to DONE: measured, 12.</summary>
    public const int FixedCycles = 12;

    /// <summary>
    /// Of <see cref="FixedCycles"/>, the last serializer load to DONE (7; START to the first slot is the other
    /// 5). A pass whose scan goes on after its last window (a row no window ends on, below the last output
    /// row at stride 2) ends when that scan has drained: START to the first slot plus the scan and its latency.
    /// </summary>
    public const int LoadToDoneCycles = 7;

    /// <summary>LOAD_WEIGHTS to its first beat plus the last beat to DONE.</summary>
    public const int UploadFixedCycles = 4;

    /// <summary>Slot to result: stages p, c, m1, m2, leaves, ceil(log2(PI x kernel rows a clock)) adder levels, chain.</summary>
    public static int ChainLatency(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var lanes = ConvParallelism.For(module);
        var leaves = lanes.InputLanes * module.KernelSize / lanes.RowClocks;
        return 6 + (int)Math.Ceiling(Math.Log2(leaves));
    }

    public static long WeightUploadCycles(ConvModule module, int inputChannels)
    {
        ArgumentNullException.ThrowIfNull(module);
        var lanes = ConvParallelism.For(module);
        // A module that takes a kernel row a clock stores a word a row a clock after its last beat.
        var rows = lanes.RowClocks > 1 ? lanes.RowClocks : 0;
        return ((long)lanes.Chunks(inputChannels) * lanes.BeatsPerWeightWord(module)) + UploadFixedCycles + rows;
    }

    /// <summary>
    /// One pass: the frames of <paramref name="input"/> ([N, CIN, H, W]) into a group of
    /// <paramref name="groupChannels"/> output channels. The scan is walked a row at a time: a row's cycles
    /// depend only on whether windows end on it and on how far ahead of the scan the serializer is when it
    /// starts (no further than the chain's latency, it cannot hold the scan), so each such pair is walked
    /// pixel by pixel once and the rest of the rows repeat it: O(rows), not O(pixels).
    /// </summary>
    public static long PassCycles(ConvSpec spec, TensorShape input, int groupChannels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var module = spec.Module;
        if (spec.Stride == 2 && ConvParallelism.For(module).Stride2Rows)
        {
            return Stride2CycleModel.PassCycles(spec, input, groupChannels, ChainLatency(module));
        }
        var k = module.KernelSize;
        var pad = spec.Pad;
        var paddedH = input.H + (2 * pad);
        var latency = ChainLatency(module);
        var rows = new Dictionary<(bool Output, long Ahead), RowCycles>();
        // Time is slot + stall; the serializer's lead over it enters a row clamped at the latency.
        long slot = 0, stall = 0, ahead = latency, lastLoad = long.MinValue;
        for (var frame = 0; frame < input.N; frame++)
        {
            for (var row = pad; row < paddedH; row++)
            {
                var key = (row >= k - 1 && (spec.Stride == 1 || row % 2 == 0), Math.Max(ahead, latency));
                if (!rows.TryGetValue(key, out var walked))
                {
                    walked = Row(spec, input, groupChannels, latency, key.Item1, key.Item2);
                    rows.Add(key, walked);
                }
                if (walked.LastLoad is { } load)
                {
                    lastLoad = slot + stall + load;
                }
                (slot, stall, ahead) = (slot + walked.Slots, stall + walked.Stall, walked.Ahead);
            }
        }
        var scanEnd = slot - 1 + stall + latency;
        return FixedCycles - pad + Math.Max(lastLoad + groupChannels, scanEnd - LoadToDoneCycles);
    }

    /// <summary>One row of the scan from time 0 with the serializer free at <paramref name="ahead"/>.</summary>
    private static RowCycles Row(ConvSpec spec, TensorShape input, int groupChannels, int latency, bool outputRow, long ahead)
    {
        var k = spec.KernelSize;
        var pad = spec.Pad;
        var lanes = ConvParallelism.For(spec.Module);
        var columnSlots = lanes.Chunks(input.C) * lanes.RowClocks;
        long slot = 0, stall = 0, serializerFree = ahead;
        long? lastLoad = null;
        for (var col = 0; col < input.W + (2 * pad); col++)
        {
            var padding = col < pad || col >= pad + input.W;
            slot += padding ? 1 : columnSlots;
            if (outputRow && col >= k - 1 && (spec.Stride == 1 || col % 2 == 0))
            {
                var ready = slot - 1 + latency + stall;
                var load = Math.Max(ready, serializerFree);
                stall += load - ready;
                serializerFree = load + groupChannels;
                lastLoad = load;
            }
        }
        return new RowCycles(slot, stall, serializerFree - (slot + stall), lastLoad);
    }

    /// <summary>What a row adds: slots, stall cycles, the serializer's lead at its end, its last load from its start.</summary>
    private readonly record struct RowCycles(long Slots, long Stall, long Ahead, long? LastLoad);

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
