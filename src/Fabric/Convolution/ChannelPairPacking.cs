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
    public static void PackInput(ConvProblem problem, in ChannelGeometry g, PairDigit digit, int n, int rowStart, int rowEnd, Span<int> packed, bool transpose)
    {
        // The digit of x an Int16 holds (see PairDigit): x, its low byte (unsigned), or x >> 8.
        var (shift, mask) = digit switch
        {
            PairDigit.Full => (0, -1),
            PairDigit.Low => (0, 0xFF),
            _ => (8, -1),
        };
        g.PackRows(problem, n, rowStart, rowEnd, MemoryMarshal.Cast<int, short>(packed), shift, mask, transpose);
    }
}
