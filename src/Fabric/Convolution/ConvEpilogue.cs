using System.Numerics;

namespace Dpr.Fabric.Convolution;

/// <summary>Bias, rounding shift and saturation of a tile of Int64 accumulators, then its valid positions to the output.</summary>
internal static class ConvEpilogue
{
    public static void Store(
        ConvProblem problem, ConvGeometry g, int n, int co0, int block, int p0, Span<long> acc, Span<int> values,
        Memory<int> requantized, Memory<long> raw)
    {
        var tile = g.TilePositions;
        var count = Math.Min(tile, g.Positions - p0);
        var bias = problem.Bias.Span;
        var spec = problem.Spec;
        for (var j = 0; j < block; j++)
        {
            var co = co0 + j;
            var sums = acc.Slice(j * tile, tile);
            var b = bias.IsEmpty ? 0L : bias[co];
            var outputBase = (n * g.Cout + co) * g.Hout * g.Wout;
            if (spec.Output == ConvOutputMode.Raw)
            {
                AddBias(sums, b);
                CopyValid<long>(g, p0, count, sums, raw.Span[outputBase..]);
            }
            else
            {
                Requantize(sums, b, spec.Shift, spec.Module.MinValue, spec.Module.MaxValue, values);
                CopyValid<int>(g, p0, count, values, requantized.Span[outputBase..]);
            }
        }
    }

    private static void AddBias(Span<long> sums, long bias)
    {
        if (bias == 0)
        {
            return;
        }
        var i = 0;
        var vb = new Vector<long>(bias);
        for (; i + Vector<long>.Count <= sums.Length; i += Vector<long>.Count)
        {
            (new Vector<long>(sums[i..]) + vb).CopyTo(sums[i..]);
        }
        for (; i < sums.Length; i++)
        {
            sums[i] = unchecked(sums[i] + bias);
        }
    }

    internal static void Requantize(Span<long> sums, long bias, int shift, long min, long max, Span<int> values)
    {
        var lanes = Vector<long>.Count;
        var vb = new Vector<long>(bias);
        var vmin = new Vector<long>(min);
        var vmax = new Vector<long>(max);
        var i = 0;
        for (; i + 2 * lanes <= sums.Length; i += 2 * lanes)
        {
            var v0 = Round(new Vector<long>(sums[i..]) + vb, shift);
            var v1 = Round(new Vector<long>(sums[(i + lanes)..]) + vb, shift);
            v0 = Vector.Min(Vector.Max(v0, vmin), vmax);
            v1 = Vector.Min(Vector.Max(v1, vmin), vmax);
            Vector.Narrow(v0, v1).CopyTo(values[i..]);
        }
        for (; i < sums.Length; i++)
        {
            values[i] = (int)ConvReference.Saturate(ConvReference.RoundShift(unchecked(sums[i] + bias), shift), min, max);
        }
    }

    private static Vector<long> Round(Vector<long> v, int shift) =>
        shift == 0 ? v : Vector.ShiftRightArithmetic(v, shift) + (Vector.ShiftRightArithmetic(v, shift - 1) & Vector<long>.One);

    /// <summary>Positions [p0, p0 + count) of a channel, skipping the discarded columns ox ≥ Wout.</summary>
    private static void CopyValid<T>(ConvGeometry g, int p0, int count, Span<T> source, Span<T> channel)
    {
        var p = p0;
        var end = p0 + count;
        while (p < end)
        {
            var oy = p / g.Wq;
            var ox = p - oy * g.Wq;
            if (ox >= g.Wout)
            {
                p += g.Wq - ox;
                continue;
            }
            var length = Math.Min(g.Wout - ox, end - p);
            source.Slice(p - p0, length).CopyTo(channel.Slice(oy * g.Wout + ox, length));
            p += length;
        }
    }
}
