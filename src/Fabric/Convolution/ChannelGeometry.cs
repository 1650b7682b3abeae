using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The channel layout of a job: the zero-padded input is stored pixel-major, [Hp][Wp][Cin], one value per
/// channel (an Int16 for the pair lanes, an Int32 for the wide lanes), and the weights as
/// [block][step][lane] with output channel block·Lanes + lane in lane. One row of a position's window,
/// its K pixels of Cin channels, is then K·Cin consecutive values, and a step reads the next
/// <see cref="PerElement"/> of them as one element (an Int16 pair, or one Int32). Each step of each
/// position is one broadcast input element times one weight vector, so every lane does useful work
/// whenever Cout fills the lanes, whatever the image width; and a pair never pads a row of taps with a
/// zero unless the whole row, K·Cin values, is odd (3x3 over 3 channels: 15 pair steps, not 18).
/// </summary>
internal readonly record struct ChannelGeometry(
    int N, int Cin, int H, int W, int Cout, int K, int S, int Pad, int Hout, int Wout, int Hp, int Wp, int PerElement, int Lanes)
{
    /// <summary>Output positions per register tile, one accumulator vector each.</summary>
    public const int TilePositions = 8;

    /// <summary>Bytes of an element (an Int16 pair or an Int32) a step broadcasts.</summary>
    private const int ElementBytes = 4;

    public static ChannelGeometry Of(ConvProblem problem, int lanes, int perElement)
    {
        var spec = problem.Spec;
        var input = problem.InputShape;
        var pad = spec.Pad;
        return new ChannelGeometry(
            input.N, input.C, input.H, input.W, problem.OutputShape.C, spec.KernelSize, spec.Stride, pad,
            problem.OutputShape.H, problem.OutputShape.W, input.H + 2 * pad, input.W + 2 * pad, perElement, lanes);
    }

    public int Positions => Hout * Wout;

    /// <summary>Steps per row of a window: K·Cin values, <see cref="PerElement"/> at a time.</summary>
    public int RowSteps => (K * Cin + PerElement - 1) / PerElement;

    public int Steps => K * RowSteps;

    public int Blocks => (Cout + Lanes - 1) / Lanes;

    public int Tiles => (Positions + TilePositions - 1) / TilePositions;

    /// <summary>Work items of one image, block-major so that consecutive items share a block's weights.</summary>
    public int Items => Blocks * Tiles;

    /// <summary>Bytes of one channel value in the packed image.</summary>
    public int ValueBytes => ElementBytes / PerElement;

    /// <summary>Bytes from one input pixel to the next.</summary>
    public int PixelBytes => Cin * ValueBytes;

    /// <summary>
    /// Int32 elements of one packed image (one digit), with one element of slack: the last step of an odd
    /// row reads one value past its window (times a zero weight), past the image for the last pixel.
    /// </summary>
    public int ImageSize => (Hp * Wp * PixelBytes + ElementBytes - 1) / ElementBytes + 1;

    /// <summary>Per step (ky, element j of the row), the byte distance of its element from a position's first value.</summary>
    public int[] StepOffsets()
    {
        var offsets = new int[Steps];
        for (var ky = 0; ky < K; ky++)
        {
            for (var j = 0; j < RowSteps; j++)
            {
                offsets[ky * RowSteps + j] = (ky * Wp * Cin + j * PerElement) * ValueBytes;
            }
        }
        return offsets;
    }

    /// <summary>The (kx, ci) of value <paramref name="u"/> of step j in a row, or false past the row's K·Cin values (a zero weight).</summary>
    public bool Tap(int j, int u, out int kx, out int ci)
    {
        var r = j * PerElement + u;
        kx = r / Cin;
        ci = r - kx * Cin;
        return r < K * Cin;
    }

    /// <summary>Weight of output channel co at row ky, value u of step j of the row; 0 past the row's K·Cin values.</summary>
    public int Weight(ConvProblem problem, int co, int ky, int j, int u) =>
        Tap(j, u, out var kx, out var ci) ? problem.Weights.Span[problem.WeightShape.Index(co, ci, ky, kx)] : 0;

    /// <summary>Index in packed weights [block][step][lane] of output channel co's weight for step (ky, j).</summary>
    public int WeightIndex(int co, int ky, int j) => ((co / Lanes * Steps) + ky * RowSteps + j) * Lanes + co % Lanes;

    /// <summary>
    /// Rows [rowStart, rowEnd) of the padded image n into <paramref name="values"/>, [Hp][Wp][Cin], each value
    /// (x &gt;&gt; shift) &amp; mask narrowed to T; zero in the padding and, with the last row, in the slack past it.
    /// With <paramref name="transpose"/>, whole blocks of channels and columns go through <see cref="PixelTranspose"/>
    /// (the portable path keeps the scalar loop, which packs every value the same way).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PackRows<T>(ConvProblem problem, int n, int rowStart, int rowEnd, Span<T> values, int shift, int mask, bool transpose)
        where T : unmanaged, IBinaryInteger<T>
    {
        var input = problem.Input.Span;
        var rowSize = Wp * Cin;
        for (var yp = rowStart; yp < rowEnd; yp++)
        {
            var row = values.Slice(yp * rowSize, rowSize);
            var r = yp - Pad;
            if (r < 0 || r >= H)
            {
                row.Clear();
                continue;
            }
            row[..(Pad * Cin)].Clear();
            row[((Pad + W) * Cin)..].Clear();
            var done = transpose ? Transposed(input[((n * Cin * H + r) * W)..], row[(Pad * Cin)..], shift, mask) : 0;
            for (var ci = 0; ci < Cin; ci++)
            {
                // The columns the transpose left, as a span from 0 so that the loop reads it without bounds checks.
                var source = input.Slice(((n * Cin + ci) * H + r) * W + done, W - done);
                var at = (Pad + done) * Cin + ci;
                for (var c = 0; c < source.Length; c++, at += Cin)
                {
                    row[at] = T.CreateTruncating((source[c] >> shift) & mask);
                }
            }
        }
        if (rowEnd == Hp)
        {
            values[(Hp * rowSize)..].Clear();
        }
    }

    /// <summary>The first columns of a row that <see cref="PixelTranspose"/> packs (source: channel 0 at this row; see its methods).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Transposed<T>(ReadOnlySpan<int> source, Span<T> row, int shift, int mask)
        where T : unmanaged
    {
        if (typeof(T) == typeof(short))
        {
            return Cin == 3
                ? PixelTranspose.Columns16Of3(source, H * W, W, MemoryMarshal.Cast<T, short>(row), shift, mask)
                : PixelTranspose.Columns16(source, H * W, Cin, W, MemoryMarshal.Cast<T, short>(row), shift, mask);
        }
        return typeof(T) == typeof(int) && shift == 0 && mask == -1
            ? PixelTranspose.Columns32(source, H * W, Cin, W, MemoryMarshal.Cast<T, int>(row))
            : 0;
    }

    /// <summary>Weights as [block][step][lane], zero past Cout and past a row's K·Cin values: an Int16 pair per step, or one Int32.</summary>
    public int[] PackWeights(ConvProblem problem)
    {
        var packed = new int[Blocks * Steps * Lanes];
        for (var co = 0; co < Cout; co++)
        {
            for (var ky = 0; ky < K; ky++)
            {
                for (var j = 0; j < RowSteps; j++)
                {
                    var first = Weight(problem, co, ky, j, 0);
                    packed[WeightIndex(co, ky, j)] = PerElement == 1 ? first : ConvPacking.Pair(first, Weight(problem, co, ky, j, 1), PairDigit.Full);
                }
            }
        }
        return packed;
    }
}
