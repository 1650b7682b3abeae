using Dpr.Fabric.Convolution;
using Dpr.Host.Api;

namespace Dpr.Host.Bench.Fairness;

/// <summary>The jobs of <c>dpr bench fairness</c>: random tensors of a shape (no reference computed: nobody reads these results).</summary>
internal static class FairnessJobs
{
    /// <summary>The issue's heavy job: conv5x5_int8, input 1x32x128x128, weights 32x32x5x5 (419 M multiply-accumulates, 1,024 passes).</summary>
    public static SubmitJobDto IssueHeavy { get; } = Make("conv5x5_int8", [1, 32, 128, 128], [32, 32, 5, 5], seed: 1, shift: 12);

    /// <summary>A smaller heavy job for <c>--quick</c>: 1x8x64x64 with 8x8x5x5 (6.6 M, 64 passes), still 4,000 times a light one.</summary>
    public static SubmitJobDto QuickHeavy { get; } = Make("conv5x5_int8", [1, 8, 64, 64], [8, 8, 5, 5], seed: 1, shift: 10);

    /// <summary>A light job: one 8x8 image, one kernel (1,600 or 576 multiply-accumulates).</summary>
    public static SubmitJobDto Light(string module, int seed) =>
        Make(module, [1, 1, 8, 8], [1, 1, Kernel(module), Kernel(module)], seed);

    /// <summary>
    /// A job of a backlogged weighted tenant: 1x4x64x64 into 64 channels (256 passes of 64x64), some tens
    /// of milliseconds of work in a request of 60 to 130 KB, so a client keeps its backlog topped up easily.
    /// </summary>
    public static SubmitJobDto Medium(string module, int seed) =>
        Make(module, [1, 4, 64, 64], [64, 4, Kernel(module), Kernel(module)], seed, shift: 8);

    /// <summary>
    /// The job kinds of <c>dpr bench schedule</c>'s mixed workload: each <see cref="CnnWorkload"/> layer and,
    /// per module, a single-channel 224x224 image with one kernel (the paper's unit).
    /// </summary>
    public static IReadOnlyList<(string Name, SubmitJobDto Job)> Mixed { get; } =
    [
        .. CnnWorkload.All.Select(l => (l.Name, Layer(l))),
        .. ConvModule.All.Select(m => ($"{m.Name.Value}.224", Make(m.Name.Value, [1, 1, 224, 224], [1, 1, m.KernelSize, m.KernelSize], seed: 7, shift: 4))),
    ];

    private static int Kernel(string module) => ConvModule.Resolve(module).KernelSize;

    private static SubmitJobDto Layer(CnnLayer layer)
    {
        var width = layer.Module.Bits / 8;
        TensorDto Tensor(TensorShape shape, int[] values) => new([shape.N, shape.C, shape.H, shape.W], Convert.ToBase64String(TensorBytes.Encode(values, width)));
        return new SubmitJobDto(layer.Module.Name.Value, Tensor(layer.Input, CnnWorkload.Input(layer)), Tensor(layer.Weights, CnnWorkload.Weights(layer)),
            Shift: layer.Shift, Stride: layer.Stride, Padding: layer.Padding == ConvPadding.Same ? "same" : "valid");
    }

    private static SubmitJobDto Make(string module, int[] input, int[] weights, int seed, int shift = 0)
    {
        var conv = ConvModule.Resolve(module);
        var width = conv.Bits / 8;
        var random = new Random(seed);
        var range = conv.Bits == 8 ? 100 : 1000;
        TensorDto Tensor(int[] shape) => new(shape, Convert.ToBase64String(TensorBytes.Encode([.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => random.Next(-range, range))], width)));
        return new SubmitJobDto(module, Tensor(input), Tensor(weights), Shift: shift);
    }
}
