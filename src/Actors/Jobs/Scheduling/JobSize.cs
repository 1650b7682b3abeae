using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// What a convolution job asks of its module, from its shapes alone (nothing is decoded): its
/// multiply-accumulates, and the passes <see cref="Fabric.Drivers.ConvDriver"/> runs for it with the
/// bytes each pass streams through the partition's AXI DMA. The module computes one input channel into
/// one output channel per pass, so a job is Cout·Cin passes; each streams the input channel in
/// (N·H·W elements) and its output out (N·Hout·Wout elements, 8-byte raw sums unless the job has one
/// input channel and asks for requantized output, which the module does itself).
/// </summary>
/// <param name="StreamBytes">Per pass the longer of its two streams (they run at once, MM2S and S2MM), summed over the passes.</param>
public sealed record JobSize(string Module, int Bits, long MultiplyAccumulates, long Passes, long StreamBytes)
{
    public static JobSize Of(ConvSpec spec, TensorShape input, TensorShape weights)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var module = spec.Module;
        var width = module.Bits / 8;
        var (hout, wout) = (spec.OutputSize(input.H), spec.OutputSize(input.W));
        var outWidth = input.C == 1 && spec.Output == ConvOutputMode.Requantized ? width : 8;
        var passes = (long)weights.N * input.C;
        var inBytes = (long)input.N * input.H * input.W * width;
        var outBytes = (long)input.N * hout * wout * outWidth;
        var macs = (long)input.N * weights.N * hout * wout * input.C * module.KernelSize * module.KernelSize;
        return new JobSize(module.Name.Value, module.Bits, macs, passes, passes * Math.Max(inBytes, outBytes));
    }

    /// <summary>The size of an accepted request; null when its shapes do not describe a job (it will fail when it starts).</summary>
    public static JobSize? Of(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return request is { InputShape: [var n, var c, var h, var w], WeightShape: [var co, var ci, var kh, var kw] }
                ? Of(request.Spec(), new TensorShape(n, c, h, w), new TensorShape(co, ci, kh, kw))
                : null;
        }
        catch (Exception e) when (e is ConvolutionException or OverflowException)
        {
            return null;
        }
    }
}
