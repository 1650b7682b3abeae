using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>Bias, rounding shift and saturation of a tile of Int64 accumulators, then its valid positions to the output.</summary>
internal static class ConvEpilogue
{
    /// <summary>
    /// Requantizes (or adds the bias to) each run of valid positions straight into the output; or, when
    /// <paramref name="finished"/> is not empty (a tile requantized in registers, [channel][position] like
    /// <paramref name="acc"/>), copies its valid runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store(
        in ConvGeometry g, in Requantization q, ReadOnlySpan<long> bias, int n, int co0, int block, int p0, Span<long> acc,
        ReadOnlySpan<int> finished, Span<int> requantized, Span<long> raw)
    {
        var tile = g.TilePositions;
        var end = p0 + Math.Min(tile, g.Positions - p0);
        var oy0 = p0 / g.Wq;
        var ox0 = p0 - oy0 * g.Wq;
        for (var j = 0; j < block; j++)
        {
            var co = co0 + j;
            var sums = acc.Slice(j * tile, tile);
            var b = bias.IsEmpty ? 0L : bias[co];
            var channel = (n * g.Cout + co) * g.Hout * g.Wout;
            var p = p0;
            var oy = oy0;
            var ox = ox0;
            while (p < end)
            {
                if (ox >= g.Wout)
                {
                    p += g.Wq - ox;
                    oy++;
                    ox = 0;
                    continue;
                }
                var length = Math.Min(g.Wout - ox, end - p);
                var at = channel + oy * g.Wout + ox;
                var source = sums.Slice(p - p0, length);
                if (!finished.IsEmpty)
                {
                    finished.Slice(j * tile + p - p0, length).CopyTo(requantized.Slice(at, length));
                }
                else if (q.Raw)
                {
                    AddBias(source, b, raw.Slice(at, length));
                }
                else
                {
                    Requantize(source, b, q.Shift, q.Min, q.Max, requantized.Slice(at, length));
                }
                p += length;
                ox += length;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddBias(Span<long> sums, long bias, Span<long> values)
    {
        var i = 0;
        var vb = new Vector<long>(bias);
        for (; i + Vector<long>.Count <= sums.Length; i += Vector<long>.Count)
        {
            (new Vector<long>(sums[i..]) + vb).CopyTo(values[i..]);
        }
        for (; i < sums.Length; i++)
        {
            values[i] = unchecked(sums[i] + bias);
        }
    }

    /// <summary>
    /// values[i] = saturate(round_shift(sums[i] + bias)). AVX-512 where the hardware has it (Vector&lt;T&gt;
    /// stays 256-bit on AVX-512 CPUs), else Vector&lt;T&gt;; a run that does not fill the last vector ends
    /// with one vector overlapping the previous, which rewrites the same values, instead of a scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Requantize(Span<long> sums, long bias, int shift, long min, long max, Span<int> values)
    {
        var length = sums.Length;
        ref var source = ref MemoryMarshal.GetReference(sums);
        ref var destination = ref MemoryMarshal.GetReference(values);
        if (Vector512.IsHardwareAccelerated && length >= Vector512<long>.Count)
        {
            var lanes = Vector512<long>.Count;
            var vb = Vector512.Create(bias);
            var vmin = Vector512.Create(min);
            var vmax = Vector512.Create(max);
            for (var i = 0; ; i += lanes)
            {
                i = Math.Min(i, length - lanes);
                var v = Vector512.LoadUnsafe(ref source, (nuint)i) + vb;
                if (shift != 0)
                {
                    v = Vector512.ShiftRightArithmetic(v, shift) + (Vector512.ShiftRightArithmetic(v, shift - 1) & Vector512<long>.One);
                }
                Avx512F.ConvertToVector256Int32(Vector512.Min(Vector512.Max(v, vmin), vmax)).StoreUnsafe(ref destination, (nuint)i);
                if (i + lanes >= length)
                {
                    return;
                }
            }
        }
        if (Vector.IsHardwareAccelerated && length >= 2 * Vector<long>.Count)
        {
            var lanes = Vector<long>.Count;
            var vb = new Vector<long>(bias);
            var vmin = new Vector<long>(min);
            var vmax = new Vector<long>(max);
            for (var i = 0; ; i += 2 * lanes)
            {
                i = Math.Min(i, length - 2 * lanes);
                var v0 = Round(Vector.LoadUnsafe(ref source, (nuint)i) + vb, shift);
                var v1 = Round(Vector.LoadUnsafe(ref source, (nuint)(i + lanes)) + vb, shift);
                v0 = Vector.Min(Vector.Max(v0, vmin), vmax);
                v1 = Vector.Min(Vector.Max(v1, vmin), vmax);
                Vector.Narrow(v0, v1).StoreUnsafe(ref destination, (nuint)i);
                if (i + 2 * lanes >= length)
                {
                    return;
                }
            }
        }
        for (var i = 0; i < length; i++)
        {
            values[i] = (int)ConvReference.Saturate(ConvReference.RoundShift(unchecked(sums[i] + bias), shift), min, max);
        }
    }

    private static Vector<long> Round(Vector<long> v, int shift) =>
        shift == 0 ? v : Vector.ShiftRightArithmetic(v, shift) + (Vector.ShiftRightArithmetic(v, shift - 1) & Vector<long>.One);
}
