using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The hot loop of the channel layout: a tile of <see cref="ChannelGeometry.TilePositions"/> output
/// positions by one vector of output channels held in registers. Each step loads one weight vector and
/// broadcasts one input element per position, so the tile does 8 multiply-adds per weight load.
/// </summary>
internal static class ChannelConvolution<TVec, TElem, TLanes>
    where TVec : struct
    where TElem : unmanaged
    where TLanes : IConvLanes<TVec, TElem>
{
    private const int Tile = ChannelGeometry.TilePositions;

    /// <summary>Widest vector of any lanes type: 16 Int32 pairs.</summary>
    private const int MaxLanes = 16;

    /// <summary>Work items [start, end) of image n; item = block · Tiles + tile. Input bases and step offsets are in bytes.</summary>
    /// <remarks>
    /// Runs once per grain a thread claims, so its stack buffers are not zeroed (<c>SkipLocalsInit</c>):
    /// every element is written before it is read (cleared, stored as a first flush, or set from the bias).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Compute<TAcc>(ChannelRun<TElem> run, int n, int start, int end)
        where TAcc : IAccumulator<TVec, TElem>
    {
        var g = run.Geometry;
        var lanes = TLanes.Count;
        Span<long> sums = stackalloc long[Tile * MaxLanes];
        Span<int> values = stackalloc int[Tile * MaxLanes];
        Span<int> bases = stackalloc int[Tile];
        sums = sums[..(Tile * lanes)];
        values = values[..(Tile * lanes)];
        var output = Requantization.Of(run.Problem.Spec);
        ref var input = ref MemoryMarshal.GetArrayDataReference(run.Input);
        ref var offsets = ref MemoryMarshal.GetArrayDataReference(run.StepOffsets);
        var imageSize = g.ImageSize;
        var steps = g.Steps;
        var pixelBytes = g.PixelBytes;
        var requantized = run.Requantized.Span;
        var raw = run.Raw.Span;
        // A requantized job whose steps all fit one pass finishes each tile in registers (see LaneRequantization).
        var onePass = !output.Raw && run.DigitShifts.Length == 1 && run.ChunkSteps >= steps;
        ref var sumsStart = ref MemoryMarshal.GetReference(sums);
        ref var valuesStart = ref MemoryMarshal.GetReference(values);
        long noBias = 0;
        var positions = g.Positions;
        var wout = g.Wout;
        var rowBytes = g.S * g.Wp * pixelBytes;
        var columnBytes = g.S * pixelBytes;
        // Where the first tile starts; each tile's walk below leaves (p0, oy, ox) at the next one's start, so no
        // item divides (two divisions per tile were a quarter of the time outside the steps in cifar.conv1).
        var block = start / g.Tiles;
        var p0 = (start - block * g.Tiles) * Tile;
        var oy = p0 / wout;
        var ox = p0 - oy * wout;
        for (var item = start; item < end; item++, p0 += Tile)
        {
            if (p0 >= positions)
            {
                block++;
                p0 = oy = ox = 0;
            }
            var count = Math.Min(Tile, positions - p0);
            if (ox + Tile <= wout)
            {
                // The whole tile inside one output row (a third of the time outside the steps went to the walk below).
                var first = oy * rowBytes + ox * columnBytes;
                if (Vector256.IsHardwareAccelerated && Vector256<int>.Count == Tile)
                {
                    (Vector256.Create(first) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * columnBytes).StoreUnsafe(ref MemoryMarshal.GetReference(bases));
                }
                else
                {
                    for (var i = 0; i < Tile; i++)
                    {
                        bases[i] = first + i * columnBytes;
                    }
                }
                ox += Tile;
                if (ox == wout)
                {
                    ox = 0;
                    oy++;
                }
            }
            else
            {
                // Walk the row; past the last position the tile repeats it (never stored).
                for (var i = 0; i < Tile; i++)
                {
                    bases[i] = oy * rowBytes + ox * columnBytes;
                    if (i + 1 < count && ++ox == wout)
                    {
                        ox = 0;
                        oy++;
                    }
                }
                if (++ox == wout)
                {
                    ox = 0;
                    oy++;
                }
            }
            ref var weights = ref MemoryMarshal.GetArrayDataReference(run.Weights);
            weights = ref Unsafe.Add(ref weights, (nint)block * steps * lanes);
            if (onePass)
            {
                Steps<TAcc>(ref input, bases, ref weights, ref offsets, 0, steps, 0, ref sumsStart, ref run.Bias[block * lanes], ref valuesStart, output);
                Place(g, n, block, p0, count, values, requantized);
                continue;
            }
            // The sums start at the bias, so the epilogue only rounds, saturates and stores.
            StartAtBias(run.Bias.AsSpan(block * lanes, lanes), sums);
            for (var d = 0; d < run.DigitShifts.Length; d++)
            {
                ref var digit = ref Unsafe.Add(ref input, (nint)d * imageSize);
                for (var s0 = 0; s0 < steps; s0 += run.ChunkSteps)
                {
                    Steps<TAcc>(ref digit, bases, ref weights, ref offsets, s0, Math.Min(steps, s0 + run.ChunkSteps), run.DigitShifts[d], ref sumsStart, ref noBias, ref Unsafe.NullRef<int>(), output);
                }
            }
            Store(g, output, n, block, p0, count, sums, values, requantized, raw);
        }
    }

    /// <summary>Each position's sums set to the block's bias (vector copies: a span copy per position cost more than the tile's transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StartAtBias(ReadOnlySpan<long> bias, Span<long> sums)
    {
        var lanes = bias.Length;
        if (lanes % Vector<long>.Count != 0)
        {
            for (var i = 0; i < Tile; i++)
            {
                bias.CopyTo(sums.Slice(i * lanes, lanes));
            }
            return;
        }
        ref var from = ref MemoryMarshal.GetReference(bias);
        ref var to = ref MemoryMarshal.GetReference(sums);
        for (var i = 0; i < Tile * lanes; i += lanes)
        {
            for (var k = 0; k < lanes; k += Vector<long>.Count)
            {
                Vector.LoadUnsafe(ref from, (nuint)k).StoreUnsafe(ref to, (nuint)(i + k));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Steps<TAcc>(
        ref TElem input, ReadOnlySpan<int> bases, ref TElem weights, ref int offsets, int s0, int s1, int shift, ref long sums,
        ref long bias, ref int values, in Requantization output)
        where TAcc : IAccumulator<TVec, TElem>
    {
        var lanes = TLanes.Count;
        ref var x0 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[0]);
        ref var x1 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[1]);
        ref var x2 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[2]);
        ref var x3 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[3]);
        ref var x4 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[4]);
        ref var x5 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[5]);
        ref var x6 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[6]);
        ref var x7 = ref Unsafe.AddByteOffset(ref Unsafe.As<TElem, byte>(ref input), bases[7]);
        ref var w = ref Unsafe.Add(ref weights, (nint)s0 * lanes);
        // A tile that finishes here starts its low sums where its requantization wants them (SplitBias: at bl).
        var start = Unsafe.IsNullRef(ref values) ? TLanes.Zero : TAcc.Start(ref bias);
        TVec a0 = start, a1 = start, a2 = start, a3 = start;
        TVec a4 = start, a5 = start, a6 = start, a7 = start;
        TVec h0 = TLanes.Zero, h1 = TLanes.Zero, h2 = TLanes.Zero, h3 = TLanes.Zero;
        TVec h4 = TLanes.Zero, h5 = TLanes.Zero, h6 = TLanes.Zero, h7 = TLanes.Zero;
        for (var s = s0; s < s1; s++)
        {
            var offset = (nint)Unsafe.Add(ref offsets, s);
            var wv = TLanes.Load(ref w);
            var q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x0, offset)));
            a0 = TAcc.AddLow(a0, q, wv);
            h0 = TAcc.AddHigh(h0, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x1, offset)));
            a1 = TAcc.AddLow(a1, q, wv);
            h1 = TAcc.AddHigh(h1, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x2, offset)));
            a2 = TAcc.AddLow(a2, q, wv);
            h2 = TAcc.AddHigh(h2, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x3, offset)));
            a3 = TAcc.AddLow(a3, q, wv);
            h3 = TAcc.AddHigh(h3, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x4, offset)));
            a4 = TAcc.AddLow(a4, q, wv);
            h4 = TAcc.AddHigh(h4, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x5, offset)));
            a5 = TAcc.AddLow(a5, q, wv);
            h5 = TAcc.AddHigh(h5, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x6, offset)));
            a6 = TAcc.AddLow(a6, q, wv);
            h6 = TAcc.AddHigh(h6, q, wv);
            q = TLanes.Broadcast(Unsafe.ReadUnaligned<TElem>(ref Unsafe.Add(ref x7, offset)));
            a7 = TAcc.AddLow(a7, q, wv);
            h7 = TAcc.AddHigh(h7, q, wv);
            w = ref Unsafe.Add(ref w, lanes);
        }
        if (!Unsafe.IsNullRef(ref values))
        {
            TAcc.Requantize(a0, h0, ref bias, output, ref values);
            TAcc.Requantize(a1, h1, ref bias, output, ref Unsafe.Add(ref values, lanes));
            TAcc.Requantize(a2, h2, ref bias, output, ref Unsafe.Add(ref values, 2 * lanes));
            TAcc.Requantize(a3, h3, ref bias, output, ref Unsafe.Add(ref values, 3 * lanes));
            TAcc.Requantize(a4, h4, ref bias, output, ref Unsafe.Add(ref values, 4 * lanes));
            TAcc.Requantize(a5, h5, ref bias, output, ref Unsafe.Add(ref values, 5 * lanes));
            TAcc.Requantize(a6, h6, ref bias, output, ref Unsafe.Add(ref values, 6 * lanes));
            TAcc.Requantize(a7, h7, ref bias, output, ref Unsafe.Add(ref values, 7 * lanes));
            return;
        }
        ref var a = ref sums;
        TAcc.Flush(a0, h0, shift, ref a);
        TAcc.Flush(a1, h1, shift, ref Unsafe.Add(ref a, lanes));
        TAcc.Flush(a2, h2, shift, ref Unsafe.Add(ref a, 2 * lanes));
        TAcc.Flush(a3, h3, shift, ref Unsafe.Add(ref a, 3 * lanes));
        TAcc.Flush(a4, h4, shift, ref Unsafe.Add(ref a, 4 * lanes));
        TAcc.Flush(a5, h5, shift, ref Unsafe.Add(ref a, 5 * lanes));
        TAcc.Flush(a6, h6, shift, ref Unsafe.Add(ref a, 6 * lanes));
        TAcc.Flush(a7, h7, shift, ref Unsafe.Add(ref a, 7 * lanes));
    }

    /// <summary>Sums [position][lane] (bias included) to the NCHW output, where a channel's positions are contiguous.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store(
        in ChannelGeometry g, in Requantization q, int n, int block, int p0, int count, Span<long> sums, Span<int> values,
        Span<int> requantized, Span<long> raw)
    {
        var lanes = TLanes.Count;
        var co0 = block * lanes;
        var channels = Math.Min(lanes, g.Cout - co0);
        var first = (n * g.Cout + co0) * g.Positions + p0;
        // The transpose reads and writes within the slices checked here: count positions of channels channels.
        var length = (channels - 1) * g.Positions + count;
        if (q.Raw)
        {
            Transpose(ref MemoryMarshal.GetReference(sums), ref MemoryMarshal.GetReference(raw.Slice(first, length)), lanes, channels, count, g.Positions);
        }
        else
        {
            ConvEpilogue.Requantize(sums[..(count * lanes)], 0, q.Shift, q.Min, q.Max, values);
            Place(g, n, block, p0, count, values, requantized);
        }
    }

    /// <summary>Requantized values [position][lane] to the NCHW output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Place(in ChannelGeometry g, int n, int block, int p0, int count, Span<int> values, Span<int> requantized)
    {
        var lanes = TLanes.Count;
        var co0 = block * lanes;
        var channels = Math.Min(lanes, g.Cout - co0);
        var first = (n * g.Cout + co0) * g.Positions + p0;
        var length = (channels - 1) * g.Positions + count;
        if (Vector512.IsHardwareAccelerated && lanes == Vector512<int>.Count && channels == lanes && count == Tile)
        {
            ChannelTranspose.Store16x8(ref MemoryMarshal.GetReference(values), ref MemoryMarshal.GetReference(requantized.Slice(first, length)), g.Positions);
            return;
        }
        Transpose(ref MemoryMarshal.GetReference(values), ref MemoryMarshal.GetReference(requantized.Slice(first, length)), lanes, channels, count, g.Positions);
    }

    /// <summary>destination[j · stride + i] = source[i · lanes + j] for j &lt; channels, i &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose<T>(ref T source, ref T destination, int lanes, int channels, int count, int stride)
    {
        for (var j = 0; j < channels; j++)
        {
            ref var row = ref Unsafe.Add(ref destination, (nint)j * stride);
            for (var i = 0; i < count; i++)
            {
                Unsafe.Add(ref row, i) = Unsafe.Add(ref source, i * lanes + j);
            }
        }
    }
}
