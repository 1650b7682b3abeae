using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Convolution;

/// <summary>Input values as Int16, two consecutive values of a window row per element, for the <c>pmaddwd</c> lanes.</summary>
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
        var values = MemoryMarshal.Cast<int, short>(packed);
        var rowSize = g.Wp * g.Cin;
        for (var yp = rowStart; yp < rowEnd; yp++)
        {
            var row = values.Slice(yp * rowSize, rowSize);
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
                    row[at] = Value(source[c], digit);
                }
            }
        }
        if (rowEnd == g.Hp)
        {
            values[(g.Hp * rowSize)..].Clear();
        }
    }

    /// <summary>The digit of x an Int16 holds (see <see cref="PairDigit"/>).</summary>
    private static short Value(int x, PairDigit digit) => (short)(digit switch
    {
        PairDigit.Full => x,
        PairDigit.Low => x & 0xFF,
        _ => x >> 8,
    });

    public static int[] PackWeights(ConvProblem problem, in ChannelGeometry g)
    {
        var packed = new int[g.Blocks * g.Steps * g.Lanes];
        for (var co = 0; co < g.Cout; co++)
        {
            for (var ky = 0; ky < g.K; ky++)
            {
                for (var j = 0; j < g.RowSteps; j++)
                {
                    packed[g.WeightIndex(co, ky, j)] = ConvPacking.Pair(g.Weight(problem, co, ky, j, 0), g.Weight(problem, co, ky, j, 1), PairDigit.Full);
                }
            }
        }
        return packed;
    }
}
