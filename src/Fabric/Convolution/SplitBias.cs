using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// Requantizing split pair sums (<see cref="SplitPairSums{TVec, TLanes}"/>) in their Int32 lanes, without
/// widening to Int64, when the job's shift is at least 16 and its biases are small. With the rounding
/// constant folded into the bias, b' = b + 2^(s−1) = 2^16·bh + bl (0 ≤ bl &lt; 2^16), and the split sum
/// S = 2^16·high + L (0 ≤ L ≤ n·(2^16 − 1) &lt; 2^31 for n ≤ 2^15 steps): S + b' = 2^16·A + r with
/// A = high + bh + ((L + bl) &gt;&gt; 16) and 0 ≤ r &lt; 2^16, so round_s(S + b) = ⌊(S + b') / 2^s⌋ = A &gt;&gt; (s − 16).
/// The tile's low sums start at bl (<see cref="SplitBiasPairSums{TVec, TLanes}.Start"/>) instead of 0, so its
/// (uint)(low − 2^16·high) is L + bl itself: L + bl &lt; 2^31 + 2^16 does not wrap 32 bits.
/// A fits Int32: |high| ≤ n·2^15 ≤ 2^30, |bh| &lt; 2^29, (L + bl) &gt;&gt; 16 &lt; 2^16. And S + b is the
/// definition's Int64 accumulator without wrapping (|S| &lt; 2^47, |b| &lt; 2^45 for |bh| &lt; 2^29). About 8 operations per
/// vector of 16 outputs where widening, rounding and saturating two Int64 halves took about 30: for a
/// 3-channel first layer (15 pair steps per output) that was a third of its arithmetic.
/// </summary>
/// <remarks>
/// The encoded bias takes the place of the Int64 per-lane bias, in the same memory: for each block of
/// <c>lanes</c> output channels, lanes Int32 bh then lanes Int32 bl, the size of lanes Int64.
/// </remarks>
internal static class SplitBias
{
    private const int MinShift = 16;

    private const int MaxSteps = 1 << 15;

    /// <summary>Checked first, so that b + 2^(s−1) cannot overflow; the bound on bh is the one that matters.</summary>
    private const long MaxBias = 1L << 62;

    private const long MaxHigh = 1L << 29;

    /// <summary>True when a requantized job of <paramref name="steps"/> pair steps per output, all in one pass, can use the Int32 requantization.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Applies(ConvSpec spec, int steps, ReadOnlySpan<long> bias)
    {
        if (spec.Output != ConvOutputMode.Requantized || spec.Shift < MinShift || steps > MaxSteps)
        {
            return false;
        }
        foreach (var b in bias)
        {
            if (b <= -MaxBias || b >= MaxBias)
            {
                return false;
            }
            var high = Folded(b, spec.Shift) >> 16;
            if (high <= -MaxHigh || high >= MaxHigh)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Per-lane biases (blocks of <paramref name="lanes"/>) to (bh, bl) Int32 halves in place, as the remarks describe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Encode(Span<long> bias, int lanes, int shift)
    {
        Span<int> block = stackalloc int[2 * lanes];
        for (var start = 0; start < bias.Length; start += lanes)
        {
            var slice = bias.Slice(start, lanes);
            for (var i = 0; i < lanes; i++)
            {
                var folded = Folded(slice[i], shift);
                block[i] = (int)(folded >> 16);
                block[lanes + i] = (int)(folded & 0xFFFF);
            }
            block.CopyTo(MemoryMarshal.Cast<long, int>(slice));
        }
    }

    private static long Folded(long bias, int shift) => bias + (1L << (shift - 1));
}
