using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Simulation;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// What a convolution job asks of its module, from its shapes alone (nothing is decoded): its
/// multiply-accumulates, and the passes <see cref="ConvDriver"/> runs for it with the bytes each pass
/// streams through the partition's AXI DMA and the cycles our RTL takes for them. A register map 2.0
/// module sums every input channel into a group of PO output channels a pass (<see cref="ConvPassPlan"/>,
/// as the module's line buffer and weight memory allow, with a DMA buffer large enough): per pass a weight
/// upload, the input slice streamed in (N·H·W·channels elements) and the group's results out
/// (N·Hout·Wout·group elements, P/8 bytes when the pass takes every input channel and the job is
/// requantized, else 8-byte raw sums).
/// </summary>
/// <param name="StreamBytes">Per pass the longer of its two streams (they run at once, MM2S and S2MM) and its weight words, summed over the passes.</param>
/// <param name="ModuleCycles">Fabric cycles of the job's uploads and passes by <see cref="RtlCycleModel.JobCycles"/>.</param>
public sealed record JobSize(string Module, int Bits, long MultiplyAccumulates, long Passes, long StreamBytes, long ModuleCycles)
{
    public static JobSize Of(ConvSpec spec, TensorShape input, TensorShape weights)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var module = spec.Module;
        var lanes = ConvParallelism.For(module);
        var plan = ConvPassPlan.For(spec, input, weights.N, lanes) ?? new ConvPassPlan(1, 1);
        var (hout, wout) = (spec.OutputSize(input.H), spec.OutputSize(input.W));
        var outWidth = ConvPassPlan.ResultWidth(spec, plan.Channels == input.C);
        long stream = 0;
        foreach (var (channels, group) in plan.Each(input.C, weights.N))
        {
            var inBytes = (long)input.N * input.H * input.W * channels * (module.Bits / 8);
            var outBytes = (long)input.N * hout * wout * group * outWidth;
            stream += Math.Max(inBytes, outBytes) + ((long)lanes.Chunks(channels) * lanes.BeatsPerWeightWord(module) * 8);
        }
        var macs = (long)input.N * weights.N * hout * wout * input.C * module.KernelSize * module.KernelSize;
        return new JobSize(module.Name.Value, module.Bits, macs, plan.Passes(input.C, weights.N), stream, RtlCycleModel.JobCycles(spec, input, weights.N, plan));
    }

    /// <summary>The size of an accepted request; null when its shapes do not describe a job (it will fail when it starts).</summary>
    public static JobSize? Of(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            if (request is not { InputShape: [var n, var c, var h, var w], WeightShape: [var co, var ci, var kh, var kw] })
            {
                return null;
            }
            var (spec, input, weights) = (request.Spec(), new TensorShape(n, c, h, w), new TensorShape(co, ci, kh, kw));
            // The cycle model walks the padded grid: only shapes within the limits get that far.
            ConvProblem.CheckShapes(spec, input, weights, 0);
            return Of(spec, input, weights);
        }
        catch (Exception e) when (e is ConvolutionException or OverflowException)
        {
            return null;
        }
    }
}
