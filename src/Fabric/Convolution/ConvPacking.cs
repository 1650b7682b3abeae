using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Convolution;

/// <summary>Lays out input planes and weights for <see cref="TiledConvolution{TVec, TElem, TLanes}"/>.</summary>
internal static class ConvPacking
{
    /// <summary>Kernel columns per pair: (kx, kx + 1), the last one padded with a zero weight for odd K.</summary>
    public static int Pairs(int k) => (k + 1) / 2;

    /// <summary>
    /// Pair planes of channel ci of image n: element (yq, xq) of plane py holds the padded input at row
    /// yq·s + py, columns xq·s and xq·s + 1, in the low and high half. Only even columns start a pair
    /// (pairs begin at kx = 0, 2, 4), so stride 2 needs no column phase.
    /// </summary>
    /// <remarks>Packs rows [yq0, yq1) of every plane; the range lets threads split a single channel.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPairs(ConvRun<int> run, PairDigit[] digits, int n, int ci, int yq0, int yq1)
    {
        var g = run.Geometry;
        var input = run.Problem.Input.Span;
        for (var d = 0; d < digits.Length; d++)
        {
            for (var py = 0; py < g.S; py++)
            {
                var plane = run.Planes.AsSpan(d * run.DigitSize + (py * g.Cin + ci) * g.PlaneStride, g.PlaneStride);
                for (var yq = yq0; yq < yq1; yq++)
                {
                    var row = plane.Slice(yq * g.Wq, g.Wq);
                    var r = yq * g.S + py - g.Pad;
                    if (r < 0 || r >= g.H)
                    {
                        row.Clear();
                        continue;
                    }
                    PackPairRow(input.Slice(((n * g.Cin + ci) * g.H + r) * g.W, g.W), row, digits[d], g.S, g.Pad);
                }
                if (yq1 == g.Hq)
                {
                    plane[(g.Hq * g.Wq)..].Clear();
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPairRow(ReadOnlySpan<int> source, Span<int> row, PairDigit digit, int s, int pad)
    {
        var w = source.Length;
        var xq = 0;
        for (; xq < Math.Min(pad, row.Length); xq++)
        {
            row[xq] = PairAt(source, xq * s - pad, digit);
        }
        if (s == 1)
        {
            var lanes = Vector<int>.Count;
            var shift = digit == PairDigit.High ? 8 : 0;
            var lowMask = new Vector<int>(digit == PairDigit.Low ? 0xFF : 0xFFFF);
            var highMask = new Vector<int>(digit == PairDigit.Low ? 0xFF : -1);
            ref var from = ref MemoryMarshal.GetReference(source);
            ref var to = ref MemoryMarshal.GetReference(row);
            // The last vector whose pairs are all inside the source row; positions from there on are the
            // right border. A row that is not a whole number of vectors ends with one overlapping vector,
            // which rewrites equal values, rather than a scalar tail.
            var last = Math.Min(w - 1 + pad - lanes, row.Length - lanes);
            for (; xq <= last; xq = xq == last ? last + lanes : Math.Min(xq + lanes, last))
            {
                // In bounds: xq ≥ pad, xq − pad + lanes ≤ w − 1 and xq + lanes ≤ row.Length.
                var c = (nuint)(xq - pad);
                var a = Vector.ShiftRightArithmetic(Vector.LoadUnsafe(ref from, c), shift) & lowMask;
                var b = Vector.ShiftRightArithmetic(Vector.LoadUnsafe(ref from, c + 1), shift) & highMask;
                (a | (b << 16)).StoreUnsafe(ref to, (nuint)xq);
            }
        }
        for (; xq < row.Length; xq++)
        {
            row[xq] = PairAt(source, xq * s - pad, digit);
        }
    }

    private static int PairAt(ReadOnlySpan<int> source, int c, PairDigit digit)
    {
        var a = (uint)c < (uint)source.Length ? source[c] : 0;
        var b = (uint)(c + 1) < (uint)source.Length ? source[c + 1] : 0;
        return Pair(a, b, digit);
    }

    public static int Pair(int a, int b, PairDigit digit) => digit switch
    {
        PairDigit.Full => (a & 0xFFFF) | (b << 16),
        PairDigit.Low => (a & 0xFF) | ((b & 0xFF) << 16),
        _ => ((a >> 8) & 0xFFFF) | ((b >> 8) << 16),
    };

    /// <summary>Weights as pairs (w[kx], w[kx + 1]) per (co, ci, ky, kx/2); the weight past K is 0.</summary>
    public static int[] PackPairWeights(ConvProblem problem)
    {
        var packed = new int[problem.WeightShape.N * problem.WeightShape.C * problem.WeightShape.H * Pairs(problem.WeightShape.H)];
        var w = problem.Weights.Span;
        var shape = problem.WeightShape;
        var k = shape.H;
        var pairs = Pairs(k);
        var i = 0;
        for (var co = 0; co < shape.N; co++)
        {
            for (var ci = 0; ci < shape.C; ci++)
            {
                for (var ky = 0; ky < k; ky++)
                {
                    for (var kp = 0; kp < pairs; kp++)
                    {
                        var kx = 2 * kp;
                        var high = kx + 1 < k ? w[shape.Index(co, ci, ky, kx + 1)] : 0;
                        packed[i++] = Pair(w[shape.Index(co, ci, ky, kx)], high, PairDigit.Full);
                    }
                }
            }
        }
        return packed;
    }

    /// <summary>
    /// Wide planes of channel ci of image n: plane (py, px) element (yq, xq) is the padded input at row
    /// yq·s + py, column xq·s + px, as Int32 (the wide lanes sign-extend it to Int64 when they load it;
    /// <see cref="AlignedWideConvolution"/> loads 16 at a time and shifts them in registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackWide(ConvRun<int> run, int n, int ci, int yq0, int yq1)
    {
        var g = run.Geometry;
        var input = run.Problem.Input.Span;
        for (var py = 0; py < g.S; py++)
        {
            for (var px = 0; px < g.S; px++)
            {
                var plane = run.Planes.AsSpan(((py * g.S + px) * g.Cin + ci) * g.PlaneStride, g.PlaneStride);
                for (var yq = yq0; yq < yq1; yq++)
                {
                    var row = plane.Slice(yq * g.Wq, g.Wq);
                    var r = yq * g.S + py - g.Pad;
                    if (r < 0 || r >= g.H)
                    {
                        row.Clear();
                        continue;
                    }
                    var source = input.Slice(((n * g.Cin + ci) * g.H + r) * g.W, g.W);
                    if (g.S == 1)
                    {
                        // Stride 1: the row is the source row between its padding.
                        row[..g.Pad].Clear();
                        source.CopyTo(row[g.Pad..]);
                        row[(g.Pad + g.W)..].Clear();
                        continue;
                    }
                    for (var xq = 0; xq < row.Length; xq++)
                    {
                        var c = xq * g.S + px - g.Pad;
                        row[xq] = (uint)c < (uint)source.Length ? source[c] : 0;
                    }
                }
                if (yq1 == g.Hq)
                {
                    plane[(g.Hq * g.Wq)..].Clear();
                }
            }
        }
    }

    public static int[] PackWideWeights(ConvProblem problem) => problem.Weights.ToArray();
}
