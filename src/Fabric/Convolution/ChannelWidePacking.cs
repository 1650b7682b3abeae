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
    public static void PackInput(ConvProblem problem, in ChannelGeometry g, PairDigit digit, int n, int rowStart, int rowEnd, Span<int> packed, bool transpose) =>
        g.PackRows(problem, n, rowStart, rowEnd, packed, 0, -1, transpose);
}
