using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>Input channels (2c, 2c + 1) as an Int16 pair per element, for the <c>pmaddwd</c> lanes.</summary>
internal readonly struct ChannelPairPacking : IChannelPacking<int>
{
    /// <summary>Below this many steps per flush one pass over a full-range pair costs more in flushes than two digit passes.</summary>
    private const int MinChunkSteps = 16;

    public static int PerElement => 2;

    public static ChannelPlan Plan(ConvProblem problem, in ChannelGeometry g, int[] packedWeights)
    {
        // One step adds one pair sum per lane: at most 2·|x|·|w|.
        var perStep = 2 * problem.InputMaxAbs * problem.WeightMaxAbs;
        if (perStep == 0)
        {
            return new([PairDigit.Full], [0], g.Steps, SplitSums: false);
        }
        var chunk = int.MaxValue / perStep;
        if (chunk >= Math.Min(g.Steps, MinChunkSteps))
        {
            return new([PairDigit.Full], [0], (int)Math.Min(g.Steps, chunk), SplitSums: false);
        }
        if (SplitPairSums.Applies(problem, packedWeights))
        {
            return new([PairDigit.Full], [0], Math.Min(g.Steps, SplitPairSums.MaxSteps), SplitSums: true);
        }
        // x = 256·High + Low with Low in [0, 255], |High| ≤ 128: the Low digit bounds both.
        chunk = int.MaxValue / (2 * 255 * problem.WeightMaxAbs);
        return new([PairDigit.Low, PairDigit.High], [0, 8], (int)Math.Min(g.Steps, chunk), SplitSums: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackInput(ConvProblem problem, in ChannelGeometry g, PairDigit digit, int n, int rowStart, int rowEnd, Span<int> packed)
    {
        var input = problem.Input.Span;
        var rowSize = g.Wp * g.Cp;
        for (var yp = rowStart; yp < rowEnd; yp++)
        {
            var row = packed.Slice(yp * rowSize, rowSize);
            var r = yp - g.Pad;
            if (r < 0 || r >= g.H)
            {
                row.Clear();
                continue;
            }
            row[..(g.Pad * g.Cp)].Clear();
            row[((g.Pad + g.W) * g.Cp)..].Clear();
            for (var cp = 0; cp < g.Cp; cp++)
            {
                var c0 = 2 * cp;
                var low = input.Slice(((n * g.Cin + c0) * g.H + r) * g.W, g.W);
                var high = c0 + 1 < g.Cin ? input.Slice(((n * g.Cin + c0 + 1) * g.H + r) * g.W, g.W) : [];
                var at = g.Pad * g.Cp + cp;
                for (var c = 0; c < g.W; c++, at += g.Cp)
                {
                    row[at] = ConvPacking.Pair(low[c], high.IsEmpty ? 0 : high[c], digit);
                }
            }
        }
    }

    public static int[] PackWeights(ConvProblem problem, in ChannelGeometry g)
    {
        var w = problem.Weights.Span;
        var shape = problem.WeightShape;
        var packed = new int[g.Blocks * g.Steps * g.Lanes];
        for (var co = 0; co < g.Cout; co++)
        {
            var lane = co % g.Lanes;
            var block = co / g.Lanes;
            for (var ky = 0; ky < g.K; ky++)
            {
                for (var kx = 0; kx < g.K; kx++)
                {
                    for (var cp = 0; cp < g.Cp; cp++)
                    {
                        var c0 = 2 * cp;
                        var high = c0 + 1 < g.Cin ? w[shape.Index(co, c0 + 1, ky, kx)] : 0;
                        var step = (ky * g.K + kx) * g.Cp + cp;
                        packed[(block * g.Steps + step) * g.Lanes + lane] = ConvPacking.Pair(w[shape.Index(co, c0, ky, kx)], high, PairDigit.Full);
                    }
                }
            }
        }
        return packed;
    }
}
