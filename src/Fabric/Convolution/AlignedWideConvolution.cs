using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The AVX-512 int32 spatial kernel: a vector is 16 consecutive output positions of one output row, read
/// from one 512-bit load of 16 packed Int32 (and the next 16) per window row, shifted in registers
/// (<c>valignd</c>) rather than loaded again per tap. <c>vpmuldq</c> multiplies the low Int32 of each Int64
/// lane, so the 16 positions sum in two vectors of Int64: the even positions read shift c for tap column c,
/// the odd ones shift c + 1. Each vector finishes in registers (bias, rounding, saturation, interleaving)
/// and is stored straight into the output row; a row that is not a whole number of vectors ends with one
/// vector overlapping the previous.
/// </summary>
/// <remarks>
/// The planes are <see cref="ConvPacking.PackWide"/>'s: for stride 2 the taps of column parity px read plane
/// px at column shift kx / 2, so a window row splits into one group per parity, each a run of column shifts
/// 0, 1, … Every lane that reaches an output reads inside its padded row (see docs/convolution.md); lanes past
/// the row read the next row or the planes' slack and are discarded.
/// </remarks>
internal static class AlignedWideConvolution
{
    /// <summary>Output positions per vector: the Int32 of one 512-bit load.</summary>
    public const int Lanes = 16;

    /// <summary>Most column shifts in one group: K = 5, stride 1.</summary>
    private const int MaxTaps = 5;

    /// <summary>Vectors per work item: their sums stay in registers, 8 of 32.</summary>
    private const int Tile = 4;

    /// <summary>Vectors per output row of every output channel.</summary>
    public static int RowVectors(in ConvGeometry g) => (g.Wout + Lanes - 1) / Lanes;

    /// <summary>
    /// Weights as Int64 (broadcast whole, <c>vpmuldq</c> reads the low half) per (co, ci, ky, column parity px,
    /// column shift c), the tap kx = px + S·c, padded to <see cref="MaxTaps"/> per group.
    /// </summary>
    public static long[] PackWeights(ConvProblem problem)
    {
        var shape = problem.WeightShape;
        var k = shape.H;
        var s = problem.Spec.Stride;
        var w = problem.Weights.Span;
        var packed = new long[shape.N * shape.C * k * s * MaxTaps];
        var i = 0;
        for (var co = 0; co < shape.N; co++)
        {
            for (var ci = 0; ci < shape.C; ci++)
            {
                for (var ky = 0; ky < k; ky++)
                {
                    for (var px = 0; px < s; px++, i += MaxTaps)
                    {
                        for (var kx = px; kx < k; kx += s)
                        {
                            packed[i + kx / s] = w[shape.Index(co, ci, ky, kx)];
                        }
                    }
                }
            }
        }
        return packed;
    }

    /// <summary>Work items of one image: every tile of every output channel.</summary>
    public static int Items(in ConvGeometry g) => g.Cout * Tiles(g);

    /// <summary>Tiles of <see cref="Tile"/> vectors per output channel, taken in row order across rows.</summary>
    private static int Tiles(in ConvGeometry g) => (g.Hout * RowVectors(g) + Tile - 1) / Tile;

    /// <summary>Items [start, end) of image n, an item being (co, tile of vectors) in that order.</summary>
    /// <remarks>
    /// A channel's last tile repeats its last vector where it has fewer than <see cref="Tile"/>: the same
    /// values stored again by the same thread.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Compute(ConvRun<int> run, long[] weights, int n, int start, int end)
    {
        var g = run.Geometry;
        var groups = g.K * g.S;
        Span<int> offsets = stackalloc int[groups];
        Span<int> taps = stackalloc int[groups];
        for (var ky = 0; ky < g.K; ky++)
        {
            for (var px = 0; px < g.S; px++)
            {
                offsets[ky * g.S + px] = (ky % g.S * g.S + px) * g.Cin * g.PlaneStride + ky / g.S * g.Wq;
                taps[ky * g.S + px] = (g.K - px + g.S - 1) / g.S;
            }
        }
        var output = Requantization.Of(run.Problem.Spec);
        // int16 jobs saturate again, to their module's range, after vpmovsqd's saturation to Int32.
        var narrow = output.Min > int.MinValue;
        var bias = run.Problem.Bias.Span;
        var requantized = run.Requantized.Span;
        var raw = run.Raw.Span;
        ref var planes = ref MemoryMarshal.GetArrayDataReference(run.Planes);
        var perRow = RowVectors(g);
        var perChannel = g.Hout * perRow;
        var tiles = Tiles(g);
        var lastColumn = Math.Max(g.Wout - Lanes, 0);
        // Per vector of the tile: its first position in the planes and in the output channel.
        Span<int> inputs = stackalloc int[Tile];
        Span<int> outputs = stackalloc int[Tile];
        var valid = Math.Min(Lanes, g.Wout);
        // Where the first tile starts; each tile's stepping below leaves (oy, vector) at the next one's start.
        var co = start / tiles;
        var first = (start - co * tiles) * Tile;
        var oy = first / perRow;
        var vector = first - oy * perRow;
        for (var item = start; item < end; item++, first += Tile)
        {
            if (first >= perChannel)
            {
                co++;
                first = oy = vector = 0;
            }
            for (var j = 0; j < Tile; j++)
            {
                var ox = Math.Min(vector * Lanes, lastColumn);
                inputs[j] = oy * g.Wq + ox;
                outputs[j] = oy * g.Wout + ox;
                if (first + j + 1 < perChannel && ++vector == perRow)
                {
                    vector = 0;
                    oy++;
                }
            }
            var b = Vector512.Create(bias.IsEmpty ? 0L : bias[co]);
            Vector512<long> e0 = b, o0 = b, e1 = b, o1 = b, e2 = b, o2 = b, e3 = b, o3 = b;
            for (var ci = 0; ci < g.Cin; ci++)
            {
                ref var channel = ref Unsafe.Add(ref planes, (nint)ci * g.PlaneStride);
                ref var channelWeights = ref weights[(co * g.Cin + ci) * groups * MaxTaps];
                for (var group = 0; group < groups; group++)
                {
                    ref var row = ref Unsafe.Add(ref channel, offsets[group]);
                    ref var wg = ref Unsafe.Add(ref channelWeights, group * MaxTaps);
                    var count = taps[group];
                    var c0 = Vector512.LoadUnsafe(ref row, (nuint)inputs[0]);
                    var n0 = Vector512.LoadUnsafe(ref row, (nuint)(inputs[0] + Lanes));
                    var c1 = Vector512.LoadUnsafe(ref row, (nuint)inputs[1]);
                    var n1 = Vector512.LoadUnsafe(ref row, (nuint)(inputs[1] + Lanes));
                    var c2 = Vector512.LoadUnsafe(ref row, (nuint)inputs[2]);
                    var n2 = Vector512.LoadUnsafe(ref row, (nuint)(inputs[2] + Lanes));
                    var c3 = Vector512.LoadUnsafe(ref row, (nuint)inputs[3]);
                    var n3 = Vector512.LoadUnsafe(ref row, (nuint)(inputs[3] + Lanes));
                    // Column shift c + 1 serves the odd positions of tap c and the even ones of tap c + 1.
                    var w = Weight(ref wg, 0);
                    (e0, o0, var s0) = Tap(e0, o0, c0, c0, n0, 1, w);
                    (e1, o1, var s1) = Tap(e1, o1, c1, c1, n1, 1, w);
                    (e2, o2, var s2) = Tap(e2, o2, c2, c2, n2, 1, w);
                    (e3, o3, var s3) = Tap(e3, o3, c3, c3, n3, 1, w);
                    if (count > 1)
                    {
                        w = Weight(ref wg, 1);
                        (e0, o0, s0) = Tap(e0, o0, s0, c0, n0, 2, w);
                        (e1, o1, s1) = Tap(e1, o1, s1, c1, n1, 2, w);
                        (e2, o2, s2) = Tap(e2, o2, s2, c2, n2, 2, w);
                        (e3, o3, s3) = Tap(e3, o3, s3, c3, n3, 2, w);
                        if (count > 2)
                        {
                            w = Weight(ref wg, 2);
                            (e0, o0, s0) = Tap(e0, o0, s0, c0, n0, 3, w);
                            (e1, o1, s1) = Tap(e1, o1, s1, c1, n1, 3, w);
                            (e2, o2, s2) = Tap(e2, o2, s2, c2, n2, 3, w);
                            (e3, o3, s3) = Tap(e3, o3, s3, c3, n3, 3, w);
                            if (count > 3)
                            {
                                w = Weight(ref wg, 3);
                                (e0, o0, s0) = Tap(e0, o0, s0, c0, n0, 4, w);
                                (e1, o1, s1) = Tap(e1, o1, s1, c1, n1, 4, w);
                                (e2, o2, s2) = Tap(e2, o2, s2, c2, n2, 4, w);
                                (e3, o3, s3) = Tap(e3, o3, s3, c3, n3, 4, w);
                                if (count > 4)
                                {
                                    w = Weight(ref wg, 4);
                                    (e0, o0, _) = Tap(e0, o0, s0, c0, n0, 5, w);
                                    (e1, o1, _) = Tap(e1, o1, s1, c1, n1, 5, w);
                                    (e2, o2, _) = Tap(e2, o2, s2, c2, n2, 5, w);
                                    (e3, o3, _) = Tap(e3, o3, s3, c3, n3, 5, w);
                                }
                            }
                        }
                    }
                }
            }
            // The sums become values before anything is stored: a store may call (a partial row), and the
            // register allocator spills, inside the loop above, every vector that lives across a call.
            var at = (n * g.Cout + co) * g.Hout * g.Wout;
            if (output.Raw)
            {
                var (l0, u0) = Interleave(e0, o0);
                var (l1, u1) = Interleave(e1, o1);
                var (l2, u2) = Interleave(e2, o2);
                var (l3, u3) = Interleave(e3, o3);
                StoreRaw(l0, u0, raw, at + outputs[0], valid);
                StoreRaw(l1, u1, raw, at + outputs[1], valid);
                StoreRaw(l2, u2, raw, at + outputs[2], valid);
                StoreRaw(l3, u3, raw, at + outputs[3], valid);
            }
            else
            {
                var v0 = Requantize(e0, o0, output, narrow);
                var v1 = Requantize(e1, o1, output, narrow);
                var v2 = Requantize(e2, o2, output, narrow);
                var v3 = Requantize(e3, o3, output, narrow);
                StoreRequantized(v0, requantized, at + outputs[0], valid);
                StoreRequantized(v1, requantized, at + outputs[1], valid);
                StoreRequantized(v2, requantized, at + outputs[2], valid);
                StoreRequantized(v3, requantized, at + outputs[3], valid);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRequantized(Vector512<int> values, Span<int> output, int at, int valid)
    {
        if (valid == Lanes)
        {
            values.StoreUnsafe(ref output[at]);
            return;
        }
        StorePartial(values, output.Slice(at, valid));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRaw(Vector512<long> lower, Vector512<long> upper, Span<long> output, int at, int valid)
    {
        if (valid == Lanes)
        {
            lower.StoreUnsafe(ref output[at]);
            upper.StoreUnsafe(ref output[at], Lanes / 2);
            return;
        }
        StorePartial(lower, output.Slice(at, Math.Min(valid, Lanes / 2)));
        if (valid > Lanes / 2)
        {
            StorePartial(upper, output.Slice(at + Lanes / 2, valid - Lanes / 2));
        }
    }

    /// <summary>The first destination.Length values of a vector, for a row narrower than a vector: no store reaches the next row's outputs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static void StorePartial<T>(Vector512<T> values, Span<T> destination)
        where T : unmanaged
    {
        Span<T> all = stackalloc T[Vector512<T>.Count];
        values.StoreUnsafe(ref MemoryMarshal.GetReference(all));
        all[..destination.Length].CopyTo(destination);
    }

    /// <summary>
    /// One tap of a vector: the even positions' products with <paramref name="shifted"/> (column shift c), the
    /// odd ones' with shift c + 1 (<paramref name="shift"/>), which it returns for the next tap's even positions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<long> Even, Vector512<long> Odd, Vector512<int> Shifted) Tap(
        Vector512<long> even, Vector512<long> odd, Vector512<int> shifted, Vector512<int> current, Vector512<int> next,
        [ConstantExpected(Min = 1, Max = MaxTaps)] byte shift, Vector512<int> weight)
    {
        var following = Avx512F.AlignRight32(next, current, shift);
        return (even + Avx512F.Multiply(shifted, weight), odd + Avx512F.Multiply(following, weight), following);
    }

    /// <summary>Tap c's weight in every lane: <c>vpmuldq</c> reads the low Int32 of each Int64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Weight(ref long group, int c) => Vector512.Create(Unsafe.Add(ref group, c)).AsInt32();

    /// <summary>
    /// round_s then saturate_P (docs/convolution.md) of the even and odd sums, interleaved into 16 positions.
    /// With t = a &gt;&gt; (s − 1), round_s(a) = ⌊(t + 1) / 2⌋ = t − (t &gt;&gt; 1), which cannot overflow;
    /// <c>vpmovsqd</c> saturates to Int32, exactly the int32 module's range, and a <paramref name="narrow"/>
    /// (int16) module's range lies inside Int32, so saturating the result again to it is saturate_16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Requantize(Vector512<long> even, Vector512<long> odd, in Requantization output, bool narrow)
    {
        var shift = output.Shift;
        if (shift != 0)
        {
            even = Vector512.ShiftRightArithmetic(even, shift - 1);
            odd = Vector512.ShiftRightArithmetic(odd, shift - 1);
            even -= Vector512.ShiftRightArithmetic(even, 1);
            odd -= Vector512.ShiftRightArithmetic(odd, 1);
        }
        var values = Avx512F.PermuteVar16x32x2(
            Avx512F.ConvertToVector256Int32WithSaturation(even).ToVector512Unsafe(),
            Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23),
            Avx512F.ConvertToVector256Int32WithSaturation(odd).ToVector512Unsafe());
        return narrow ? Vector512.Min(Vector512.Max(values, Vector512.Create((int)output.Min)), Vector512.Create((int)output.Max)) : values;
    }

    /// <summary>The even and odd positions' raw sums in position order, 8 and 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<long> Lower, Vector512<long> Upper) Interleave(Vector512<long> even, Vector512<long> odd) =>
        (Avx512F.PermuteVar8x64x2(even, Vector512.Create(0L, 8, 1, 9, 2, 10, 3, 11), odd),
         Avx512F.PermuteVar8x64x2(even, Vector512.Create(4L, 12, 5, 13, 6, 14, 7, 15), odd));
}
