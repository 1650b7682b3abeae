using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The hot loop of the fast kernel: a tile of <see cref="Rows"/> vectors of output positions by 4 output
/// channels held in registers, summed over input channels and taps, then flushed to Int64 and requantized.
/// </summary>
internal static class TiledConvolution<TVec, TElem, TLanes>
    where TVec : struct
    where TElem : unmanaged
    where TLanes : IConvLanes<TVec, TElem>
{
    /// <summary>Vectors of output positions per tile.</summary>
    public const int Rows = 4;

    /// <summary>Register tiles per work item when a job has fewer output channels than a block.</summary>
    private const int NarrowSubTiles = 4;

    /// <summary>Widest vector of any lanes type: 16 Int32 pairs.</summary>
    private const int MaxLanes = 16;

    public const int MaxTile = NarrowSubTiles * Rows * MaxLanes;

    /// <summary>
    /// Positions per work item: one register tile, or several for jobs of 1–3 output channels, whose
    /// short tiles would otherwise spend more on per-item bookkeeping and epilogue runs than on multiplies.
    /// </summary>
    public static int TilePositions(ConvProblem problem) =>
        Rows * TLanes.Count * (problem.OutputShape.C < ConvRun<TElem>.Block ? NarrowSubTiles : 1);

    /// <summary>Work items [start, end) of image n; an item is one tile of positions for one block of channels, block-major.</summary>
    /// <remarks>
    /// Runs once per grain a thread claims, so its stack buffers are not zeroed (<c>SkipLocalsInit</c>):
    /// every element is written before it is read (cleared, stored as a first flush, or set from the bias).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Compute<TAcc>(ConvRun<TElem> run, int n, int start, int end)
        where TAcc : IAccumulator<TVec, TElem>
    {
        var g = run.Geometry;
        var tile = g.TilePositions;
        Span<long> acc = stackalloc long[ConvRun<TElem>.Block * MaxTile];
        acc = acc[..(ConvRun<TElem>.Block * tile)];
        var requantized = run.Requantized.Span;
        var raw = run.Raw.Span;
        var bias = run.Problem.Bias.Span;
        var output = Requantization.Of(run.Problem.Spec);
        // A requantized job of 1–3 output channels summed in one pass finishes each vector in registers (see
        // LaneRequantization): no Int64 tile to clear, add to and read back, the epilogue only copies the
        // valid runs. Measured: 224x224x1 3x3 int8 35 → 31 µs on one thread. With 4 or more output channels the
        // Int64 finish in registers was slower (mnist.conv1 3.4 → 5.5 µs), so those keep the Int64 tile, unless their
        // sums requantize in Int32 lanes (NarrowBias): the Int64 tile and its epilogue were a third of mnist.conv1,
        // 3.3 → 2.9 µs finished (once items ran block-major; see the loop below).
        var finish = !output.Raw && run.DigitShifts.Length == 1 && run.ChunkChannels >= g.Cin
            && (g.Cout < ConvRun<TElem>.Block || (TAcc.EncodedBias && TAcc.Registers == 1));
        // Sums of a finished tile that requantize in Int32 read their lane biases encoded (SplitBias, NarrowBias).
        var encodedBias = finish && TAcc.EncodedBias;
        Span<int> finished = finish ? stackalloc int[ConvRun<TElem>.Block * MaxTile] : [];
        Span<long> laneBias = stackalloc long[ConvRun<TElem>.Block * MaxLanes];
        ref var planes = ref MemoryMarshal.GetArrayDataReference(run.Planes);
        ref var weights = ref MemoryMarshal.GetArrayDataReference(run.Weights);
        var previousGroup = -1;
        for (var item = start; item < end; item++)
        {
            // Items run channel block by channel block, so a grain encodes a block's lane biases once, not per tile.
            var group = item / g.Tiles;
            var p0 = (item - group * g.Tiles) * tile;
            var co0 = group * ConvRun<TElem>.Block;
            var block = Math.Min(ConvRun<TElem>.Block, g.Cout - co0);
            if (finish)
            {
                if (group != previousGroup)
                {
                    for (var j = 0; j < block; j++)
                    {
                        var lane = laneBias.Slice(j * TLanes.Count, TLanes.Count);
                        lane.Fill(bias.IsEmpty ? 0 : bias[co0 + j]);
                        if (encodedBias)
                        {
                            TAcc.EncodeBias(lane, TLanes.Count, output.Shift);
                        }
                    }
                    previousGroup = group;
                }
                for (var sub = 0; sub < tile; sub += Rows * TLanes.Count)
                {
                    ref var digit = ref Unsafe.Add(ref planes, (nint)p0 + sub);
                    if (block == ConvRun<TElem>.Block)
                    {
                        Block4<TAcc>(run, ref digit, ref weights, co0, 0, g.Cin, 0, false, acc, ref laneBias[0], output, ref finished[sub]);
                        continue;
                    }
                    for (var j = 0; j < block; j++)
                    {
                        Block1<TAcc>(run, ref digit, ref weights, co0 + j, 0, g.Cin, 0, acc, ref laneBias[j * TLanes.Count], output, ref finished[j * tile + sub]);
                    }
                }
                ConvEpilogue.Store(g, output, bias, n, co0, block, p0, acc, finished, requantized, raw);
                continue;
            }
            // Block4 stores its first flush of each sum, so only the other path starts from cleared sums.
            var stores = block == ConvRun<TElem>.Block && TAcc.Registers == 1;
            if (!stores)
            {
                acc[..(block * tile)].Clear();
            }
            for (var d = 0; d < run.DigitShifts.Length; d++)
            {
                for (var sub = 0; sub < tile; sub += Rows * TLanes.Count)
                {
                    ref var digit = ref Unsafe.Add(ref planes, (nint)d * run.DigitSize + p0 + sub);
                    for (var c0 = 0; c0 < g.Cin; c0 += run.ChunkChannels)
                    {
                        var c1 = Math.Min(g.Cin, c0 + run.ChunkChannels);
                        // A block of four channels holds 16 accumulators: only single-register ones fit.
                        if (stores)
                        {
                            Block4<TAcc>(run, ref digit, ref weights, co0, c0, c1, run.DigitShifts[d], first: d == 0 && c0 == 0, acc[sub..], ref Unsafe.NullRef<long>(), output, ref Unsafe.NullRef<int>());
                        }
                        else
                        {
                            for (var j = 0; j < block; j++)
                            {
                                Block1<TAcc>(run, ref digit, ref weights, co0 + j, c0, c1, run.DigitShifts[d], acc[(j * tile + sub)..], ref Unsafe.NullRef<long>(), output, ref Unsafe.NullRef<int>());
                            }
                        }
                    }
                }
            }
            ConvEpilogue.Store(g, output, bias, n, co0, block, p0, acc, [], requantized, raw);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4<TAcc>(
        ConvRun<TElem> run, ref TElem planes, ref TElem weights, int co0, int c0, int c1, int shift, bool first, Span<long> acc,
        ref long laneBias, in Requantization output, ref int finished)
        where TAcc : IAccumulator<TVec, TElem>
    {
        var stride = run.Geometry.PlaneStride;
        var taps = run.Taps;
        var channelWeights = run.Geometry.Cin * taps;
        var offsets = run.TapOffsets;
        var count = TLanes.Count;
        // 16 accumulators: each loaded vector serves 4 channels and each broadcast weight 4 vectors.
        TVec a00 = TLanes.Zero, a01 = TLanes.Zero, a02 = TLanes.Zero, a03 = TLanes.Zero;
        TVec a10 = TLanes.Zero, a11 = TLanes.Zero, a12 = TLanes.Zero, a13 = TLanes.Zero;
        TVec a20 = TLanes.Zero, a21 = TLanes.Zero, a22 = TLanes.Zero, a23 = TLanes.Zero;
        TVec a30 = TLanes.Zero, a31 = TLanes.Zero, a32 = TLanes.Zero, a33 = TLanes.Zero;
        for (var ci = c0; ci < c1; ci++)
        {
            ref var channel = ref Unsafe.Add(ref planes, (nint)ci * stride);
            ref var w0 = ref Unsafe.Add(ref weights, (nint)(co0 * run.Geometry.Cin + ci) * taps);
            ref var w1 = ref Unsafe.Add(ref w0, channelWeights);
            ref var w2 = ref Unsafe.Add(ref w1, channelWeights);
            ref var w3 = ref Unsafe.Add(ref w2, channelWeights);
            for (var t = 0; t < taps; t++)
            {
                ref var q = ref Unsafe.Add(ref channel, offsets[t]);
                var q0 = TLanes.Load(ref q);
                var q1 = TLanes.Load(ref Unsafe.Add(ref q, count));
                var q2 = TLanes.Load(ref Unsafe.Add(ref q, 2 * count));
                var q3 = TLanes.Load(ref Unsafe.Add(ref q, 3 * count));
                var w = TLanes.Broadcast(Unsafe.Add(ref w0, t));
                a00 = TLanes.MultiplyAdd(a00, q0, w);
                a01 = TLanes.MultiplyAdd(a01, q1, w);
                a02 = TLanes.MultiplyAdd(a02, q2, w);
                a03 = TLanes.MultiplyAdd(a03, q3, w);
                w = TLanes.Broadcast(Unsafe.Add(ref w1, t));
                a10 = TLanes.MultiplyAdd(a10, q0, w);
                a11 = TLanes.MultiplyAdd(a11, q1, w);
                a12 = TLanes.MultiplyAdd(a12, q2, w);
                a13 = TLanes.MultiplyAdd(a13, q3, w);
                w = TLanes.Broadcast(Unsafe.Add(ref w2, t));
                a20 = TLanes.MultiplyAdd(a20, q0, w);
                a21 = TLanes.MultiplyAdd(a21, q1, w);
                a22 = TLanes.MultiplyAdd(a22, q2, w);
                a23 = TLanes.MultiplyAdd(a23, q3, w);
                w = TLanes.Broadcast(Unsafe.Add(ref w3, t));
                a30 = TLanes.MultiplyAdd(a30, q0, w);
                a31 = TLanes.MultiplyAdd(a31, q1, w);
                a32 = TLanes.MultiplyAdd(a32, q2, w);
                a33 = TLanes.MultiplyAdd(a33, q3, w);
            }
        }
        var tile = run.Geometry.TilePositions;
        if (!Unsafe.IsNullRef(ref finished))
        {
            // Channel j's lane biases are at laneBias[j · count], its values at finished[j · tile].
            FinishRow<TAcc>(a00, a01, a02, a03, ref laneBias, output, ref finished);
            FinishRow<TAcc>(a10, a11, a12, a13, ref Unsafe.Add(ref laneBias, count), output, ref Unsafe.Add(ref finished, tile));
            FinishRow<TAcc>(a20, a21, a22, a23, ref Unsafe.Add(ref laneBias, 2 * count), output, ref Unsafe.Add(ref finished, 2 * tile));
            FinishRow<TAcc>(a30, a31, a32, a33, ref Unsafe.Add(ref laneBias, 3 * count), output, ref Unsafe.Add(ref finished, 3 * tile));
            return;
        }
        ref var a = ref MemoryMarshal.GetReference(acc);
        FlushRow(a00, a01, a02, a03, shift, first, ref a);
        FlushRow(a10, a11, a12, a13, shift, first, ref Unsafe.Add(ref a, tile));
        FlushRow(a20, a21, a22, a23, shift, first, ref Unsafe.Add(ref a, 2 * tile));
        FlushRow(a30, a31, a32, a33, shift, first, ref Unsafe.Add(ref a, 3 * tile));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1<TAcc>(
        ConvRun<TElem> run, ref TElem planes, ref TElem weights, int co, int c0, int c1, int shift, Span<long> acc,
        ref long laneBias, in Requantization output, ref int finished)
        where TAcc : IAccumulator<TVec, TElem>
    {
        var stride = run.Geometry.PlaneStride;
        var taps = run.Taps;
        var offsets = run.TapOffsets;
        var count = TLanes.Count;
        // A tile that finishes here starts its low sums where its requantization wants them (SplitBias: at bl).
        var start = Unsafe.IsNullRef(ref finished) ? TLanes.Zero : TAcc.Start(ref laneBias);
        TVec a0 = start, a1 = start, a2 = start, a3 = start;
        TVec h0 = TLanes.Zero, h1 = TLanes.Zero, h2 = TLanes.Zero, h3 = TLanes.Zero;
        for (var ci = c0; ci < c1; ci++)
        {
            ref var channel = ref Unsafe.Add(ref planes, (nint)ci * stride);
            ref var w0 = ref Unsafe.Add(ref weights, (nint)(co * run.Geometry.Cin + ci) * taps);
            for (var t = 0; t < taps; t++)
            {
                ref var q = ref Unsafe.Add(ref channel, offsets[t]);
                var w = TLanes.Broadcast(Unsafe.Add(ref w0, t));
                var q0 = TLanes.Load(ref q);
                a0 = TAcc.AddLow(a0, q0, w);
                h0 = TAcc.AddHigh(h0, q0, w);
                var q1 = TLanes.Load(ref Unsafe.Add(ref q, count));
                a1 = TAcc.AddLow(a1, q1, w);
                h1 = TAcc.AddHigh(h1, q1, w);
                var q2 = TLanes.Load(ref Unsafe.Add(ref q, 2 * count));
                a2 = TAcc.AddLow(a2, q2, w);
                h2 = TAcc.AddHigh(h2, q2, w);
                var q3 = TLanes.Load(ref Unsafe.Add(ref q, 3 * count));
                a3 = TAcc.AddLow(a3, q3, w);
                h3 = TAcc.AddHigh(h3, q3, w);
            }
        }
        if (!Unsafe.IsNullRef(ref finished))
        {
            TAcc.Requantize(a0, h0, ref laneBias, output, ref finished);
            TAcc.Requantize(a1, h1, ref laneBias, output, ref Unsafe.Add(ref finished, count));
            TAcc.Requantize(a2, h2, ref laneBias, output, ref Unsafe.Add(ref finished, 2 * count));
            TAcc.Requantize(a3, h3, ref laneBias, output, ref Unsafe.Add(ref finished, 3 * count));
            return;
        }
        ref var a = ref MemoryMarshal.GetReference(acc);
        TAcc.Flush(a0, h0, shift, ref a);
        TAcc.Flush(a1, h1, shift, ref Unsafe.Add(ref a, count));
        TAcc.Flush(a2, h2, shift, ref Unsafe.Add(ref a, 2 * count));
        TAcc.Flush(a3, h3, shift, ref Unsafe.Add(ref a, 3 * count));
    }

    /// <summary>The <see cref="Rows"/> vectors of one channel's tile, requantized in registers (one pass, Int32 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRow<TAcc>(TVec a0, TVec a1, TVec a2, TVec a3, ref long laneBias, in Requantization output, ref int destination)
        where TAcc : IAccumulator<TVec, TElem>
    {
        var count = TLanes.Count;
        TAcc.Requantize(a0, TLanes.Zero, ref laneBias, output, ref destination);
        TAcc.Requantize(a1, TLanes.Zero, ref laneBias, output, ref Unsafe.Add(ref destination, count));
        TAcc.Requantize(a2, TLanes.Zero, ref laneBias, output, ref Unsafe.Add(ref destination, 2 * count));
        TAcc.Requantize(a3, TLanes.Zero, ref laneBias, output, ref Unsafe.Add(ref destination, 3 * count));
    }

    /// <summary>The <see cref="Rows"/> vectors of one channel's tile, added to its Int64 sums (stored as them when <paramref name="first"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlushRow(TVec a0, TVec a1, TVec a2, TVec a3, int shift, bool first, ref long destination)
    {
        var count = TLanes.Count;
        if (first)
        {
            TLanes.Store(a0, shift, ref destination);
            TLanes.Store(a1, shift, ref Unsafe.Add(ref destination, count));
            TLanes.Store(a2, shift, ref Unsafe.Add(ref destination, 2 * count));
            TLanes.Store(a3, shift, ref Unsafe.Add(ref destination, 3 * count));
            return;
        }
        TLanes.Flush(a0, shift, ref destination);
        TLanes.Flush(a1, shift, ref Unsafe.Add(ref destination, count));
        TLanes.Flush(a2, shift, ref Unsafe.Add(ref destination, 2 * count));
        TLanes.Flush(a3, shift, ref Unsafe.Add(ref destination, 3 * count));
    }
}
