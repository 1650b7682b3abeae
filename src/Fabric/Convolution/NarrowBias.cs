using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// Requantizing one-pass pair sums (<see cref="NarrowBiasPairSums{TVec, TLanes}"/>) in their Int32 lanes, without
/// widening to Int64, when every sum plus its bias fits Int32: |sum| ≤ M (the job's bound on a whole output's pair
/// sums) and −2^31 + M ≤ b ≤ 2^31 − 1 − M. Then v = sum + b is the definition's accumulator exactly, and with
/// t = v &gt;&gt; (s − 1), round_s(v) = ⌊(t + 1) / 2⌋ = t − (t &gt;&gt; 1), which cannot overflow; for s &gt; 32 the Int32
/// shift count would wrap, and t is v's sign, v &gt;&gt; 31 (|v| &lt; 2^31), so the lanes shift by min(s − 1, 31). About 6 operations
/// per vector of 16 outputs where widening, rounding and saturating two Int64 halves took about 17.
/// </summary>
/// <remarks>
/// The encoded bias takes the place of the Int64 per-lane bias, in the same memory: for each block of
/// <c>lanes</c> output channels, lanes Int32 biases in its first half.
/// </remarks>
internal static class NarrowBias
{
    /// <summary>True when a requantized job whose outputs' pair sums are at most <paramref name="maxSum"/> in magnitude can requantize in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Applies(ConvSpec spec, long maxSum, ReadOnlySpan<long> bias)
    {
        if (spec.Output != ConvOutputMode.Requantized || maxSum > int.MaxValue)
        {
            return false;
        }
        foreach (var b in bias)
        {
            if (b < int.MinValue + maxSum || b > int.MaxValue - maxSum)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Per-lane biases (blocks of <paramref name="lanes"/>) to Int32 in place, as the remarks describe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Encode(Span<long> bias, int lanes)
    {
        Span<int> block = stackalloc int[lanes];
        for (var start = 0; start < bias.Length; start += lanes)
        {
            var slice = bias.Slice(start, lanes);
            for (var i = 0; i < lanes; i++)
            {
                block[i] = (int)slice[i];
            }
            block.CopyTo(MemoryMarshal.Cast<long, int>(slice));
        }
    }
}
