namespace Dpr.Fabric.Convolution;

/// <summary>
/// The definition of correct: docs/convolution.md written as the plainest loops, with no attempt at
/// speed. Every other implementation is tested against this one.
/// </summary>
public static class ConvReference
{
    /// <summary>Int64 accumulators, bias included (output mode raw).</summary>
    public static long[] Raw(ConvProblem problem)
    {
        RequireMode(problem, ConvOutputMode.Raw);
        return Accumulate(problem);
    }

    /// <summary>P-bit results (output mode requantized).</summary>
    public static int[] Requantized(ConvProblem problem)
    {
        RequireMode(problem, ConvOutputMode.Requantized);
        var module = problem.Spec.Module;
        return Accumulate(problem)
            .Select(acc => (int)Saturate(RoundShift(acc, problem.Spec.Shift), module.MinValue, module.MaxValue))
            .ToArray();
    }

    /// <summary>⌊(a + 2^(s−1)) / 2^s⌋ without wrapping: round half up.</summary>
    public static long RoundShift(long a, int s) => s == 0 ? a : (a >> s) + ((a >> (s - 1)) & 1);

    public static long Saturate(long v, long min, long max) => Math.Min(Math.Max(v, min), max);

    private static long[] Accumulate(ConvProblem problem)
    {
        var spec = problem.Spec;
        var x = problem.Input.Span;
        var w = problem.Weights.Span;
        var b = problem.Bias.Span;
        var inShape = problem.InputShape;
        var wShape = problem.WeightShape;
        var outShape = problem.OutputShape;
        var k = spec.KernelSize;
        var pad = spec.Pad;
        var result = new long[outShape.Count];
        for (var n = 0; n < outShape.N; n++)
        {
            for (var co = 0; co < outShape.C; co++)
            {
                for (var oy = 0; oy < outShape.H; oy++)
                {
                    for (var ox = 0; ox < outShape.W; ox++)
                    {
                        var acc = b.IsEmpty ? 0L : b[co];
                        for (var ci = 0; ci < inShape.C; ci++)
                        {
                            for (var ky = 0; ky < k; ky++)
                            {
                                for (var kx = 0; kx < k; kx++)
                                {
                                    var row = oy * spec.Stride + ky - pad;
                                    var col = ox * spec.Stride + kx - pad;
                                    if (row < 0 || row >= inShape.H || col < 0 || col >= inShape.W)
                                    {
                                        continue;
                                    }
                                    // unchecked: the definition is arithmetic modulo 2^64.
                                    acc = unchecked(acc + (long)x[inShape.Index(n, ci, row, col)] * w[wShape.Index(co, ci, ky, kx)]);
                                }
                            }
                        }
                        result[outShape.Index(n, co, oy, ox)] = acc;
                    }
                }
            }
        }
        return result;
    }

    private static void RequireMode(ConvProblem problem, ConvOutputMode mode)
    {
        if (problem.Spec.Output != mode)
        {
            throw new ConvolutionException("output", $"the job asks for {problem.Spec.Output} output, not {mode}");
        }
    }
}
