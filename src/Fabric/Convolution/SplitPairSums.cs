using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// Full-range int16 pair sums in one pass, without Int64 lanes. A pair sum p = x0·w0 + x1·w1 lies in
/// [−2^31 + 2^16, 2^31]; it reaches 2^31, which an Int32 lane reads as −2^31, only when all four
/// operands are −32768, which <see cref="SplitPairSums.Applies"/> rules out (no weight pair is (−32768, −32768), or no input is
/// −32768). So each pair sum is exact in Int32, and over n ≤ <see cref="SplitPairSums.MaxSteps"/> steps the tile keeps
/// low = Σp mod 2^32 and high = Σ(p &gt;&gt; 16), exact since |p &gt;&gt; 16| ≤ 2^15. With p = 2^16·(p &gt;&gt; 16) + l,
/// 0 ≤ l &lt; 2^16, the sum is S = 2^16·high + L where 0 ≤ L = Σl ≤ n·(2^16 − 1) &lt; 2^32, and L ≡ low − 2^16·high
/// (mod 2^32): so L = (uint)(low − 2^16·high) and S is recovered exactly at the flush. One pmaddwd per
/// pair where the 8-bit digit split needs two, at the price of a shift and an add.
/// </summary>
internal readonly struct SplitPairSums<TVec, TLanes> : IAccumulator<TVec, int>
    where TVec : struct
    where TLanes : IPairLanes<TVec>
{
    public static int Registers => 2;

    public static bool EncodedBias => false;

    public static void EncodeBias(Span<long> bias, int lanes, int shift)
    {
    }

    /// <remarks>The pair sum is the same expression as in <see cref="AddHigh"/>; the JIT computes it once.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start(ref long bias) => TLanes.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddLow(TVec low, TVec q, TVec w) => TLanes.Add(low, TLanes.Multiply(q, w));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddHigh(TVec high, TVec q, TVec w) => TLanes.Add(high, TLanes.High(TLanes.Multiply(q, w)));

    /// <remarks>Split sums are only used with a single digit, so the shift is always 0.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(TVec low, TVec high, int shift, ref long destination) =>
        TLanes.FlushSplit(low, high, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(TVec low, TVec high, ref long bias, in Requantization q, ref int destination) =>
        TLanes.RequantizeSplit(low, high, ref bias, q, ref destination);
}

/// <summary>The bounds of <see cref="SplitPairSums{TVec, TLanes}"/>, which do not depend on the lanes.</summary>
internal static class SplitPairSums
{
    /// <summary>Steps between flushes: Σ(p &gt;&gt; 16) stays within Int32 (|Σ| ≤ n·2^15) and L below 2^32.</summary>
    public const int MaxSteps = 65535;

    /// <summary>The packed pair (−32768, −32768): its halves 0x8000 and 0x8000.</summary>
    private const int MinimumPair = unchecked((int)0x80008000);

    /// <summary>True when no pair sum of the job can reach 2^31: no input is −32768, or no weight pair is (−32768, −32768).</summary>
    public static bool Applies(ConvProblem problem, int[] packedWeights) =>
        problem.InputMaxAbs < 32768 || Array.IndexOf(packedWeights, MinimumPair) < 0;
}
