using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>One input channel per Int32 element, which the <c>vpmuldq</c> lanes sign-extend to Int64 on load.</summary>
internal readonly struct ChannelWidePacking : IChannelPacking<int>
{
    public static int PerElement => 1;

    /// <summary>Int64 lanes wrap exactly as the definition does: one digit, no flush before the end.</summary>
    public static ChannelPlan Plan(ConvProblem problem, in ChannelGeometry g, int[] packedWeights) =>
        new([PairDigit.Full], [0], g.Steps, SplitSums: false);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackInput(ConvProblem problem, in ChannelGeometry g, PairDigit digit, int n, int rowStart, int rowEnd, Span<int> packed)
    {
        var input = problem.Input.Span;
        var rowSize = g.Wp * g.Cin;
        for (var yp = rowStart; yp < rowEnd; yp++)
        {
            var row = packed.Slice(yp * rowSize, rowSize);
            var r = yp - g.Pad;
            if (r < 0 || r >= g.H)
            {
                row.Clear();
                continue;
            }
            row[..(g.Pad * g.Cin)].Clear();
            row[((g.Pad + g.W) * g.Cin)..].Clear();
            for (var ci = 0; ci < g.Cin; ci++)
            {
                var source = input.Slice(((n * g.Cin + ci) * g.H + r) * g.W, g.W);
                var at = g.Pad * g.Cin + ci;
                for (var c = 0; c < source.Length; c++, at += g.Cin)
                {
                    row[at] = source[c];
                }
            }
        }
        if (rowEnd == g.Hp)
        {
            packed[(g.Hp * rowSize)..].Clear();
        }
    }

    public static int[] PackWeights(ConvProblem problem, in ChannelGeometry g)
    {
        var packed = new int[g.Blocks * g.Steps * g.Lanes];
        for (var co = 0; co < g.Cout; co++)
        {
            for (var ky = 0; ky < g.K; ky++)
            {
                for (var j = 0; j < g.RowSteps; j++)
                {
                    packed[g.WeightIndex(co, ky, j)] = g.Weight(problem, co, ky, j, 0);
                }
            }
        }
        return packed;
    }
}
