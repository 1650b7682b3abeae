using System.Buffers;
using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// A single-channel convolution computed a strip of output rows at a time from a stream of input rows,
/// as a module with line buffers sees its input. A strip's input rows, the K − stride rows of halo
/// kept from the strip before and the padding as zeros, are decoded into a small buffer and run on the
/// CPU kernel as a valid-padding problem; its output rows leave at native width. The memory is one
/// strip whatever the image's height: at most <see cref="DefaultStripElements"/> inputs, or K rows when
/// one row is wider (a few MB for the widest row the 16-bit IMG_W register allows).
/// </summary>
internal sealed class StripConvolution(ConvKernel kernel, int stripElements = StripConvolution.DefaultStripElements)
{
    /// <summary>Input elements a strip holds: 512 KB as Int32, enough rows for the kernel's threads to share.</summary>
    public const int DefaultStripElements = 1 << 17;

    /// <summary>
    /// Convolves <paramref name="frames"/> ([N, 1, H, W], P/8 bytes an element, read in order from
    /// <paramref name="read"/>) with the K×K <paramref name="weights"/> and <paramref name="bias"/>, and
    /// writes the outputs in order to <paramref name="write"/>, which may change the bytes it is given.
    /// Every input row is read, also those no output needs. The spec and shape must be valid.
    /// </summary>
    /// <returns>False when <paramref name="write"/> refused a strip; nothing more is read or written then.</returns>
    public bool Run(ConvSpec spec, TensorShape frames, int[] weights, long bias, Action<Span<byte>> read, Func<Span<byte>, bool> write)
    {
        var (n, _, h, w) = frames;
        var k = spec.KernelSize;
        var s = spec.Stride;
        var pad = spec.Pad;
        var (hout, wout) = (spec.OutputSize(h), spec.OutputSize(w));
        var width = spec.Module.Bits / 8;
        var raw = spec.Output == ConvOutputMode.Raw;
        var outWidth = raw ? 8 : width;
        var padded = w + (2 * pad);
        // Output rows of a strip: as many as keep its (rows − 1)·s + K input rows within the budget, at least one.
        var rows = Math.Clamp((((stripElements / padded) - k) / s) + 1, 1, hout);
        var stripSpec = spec with { Padding = ConvPadding.Valid };
        long[] stripBias = [bias];
        var input = ArrayPool<int>.Shared.Rent((((rows - 1) * s) + k) * padded);
        var row = ArrayPool<byte>.Shared.Rent(w * width);
        int[] requantized = raw ? [] : ArrayPool<int>.Shared.Rent(rows * wout);
        long[] sums = raw ? ArrayPool<long>.Shared.Rent(rows * wout) : [];
        var output = ArrayPool<byte>.Shared.Rent(rows * wout * outWidth);
        try
        {
            for (var frame = 0; frame < n; frame++)
            {
                var next = 0;
                var kept = 0;
                for (var oy = 0; oy < hout; oy += rows)
                {
                    var count = Math.Min(rows, hout - oy);
                    var needed = ((count - 1) * s) + k;
                    var top = (oy * s) - pad;
                    // Rows come in order: the first row not kept is the next of the stream, or padding.
                    for (var i = kept; i < needed; i++)
                    {
                        var line = input.AsSpan(i * padded, padded);
                        if (top + i < 0 || top + i >= h)
                        {
                            line.Clear();
                            continue;
                        }
                        read(row.AsSpan(0, w * width));
                        next++;
                        line[..pad].Clear();
                        line[(pad + w)..].Clear();
                        TensorBytes.Decode(row.AsSpan(0, w * width), width, line.Slice(pad, w));
                    }
                    var problem = ConvProblem.Create(
                        stripSpec, new TensorShape(1, 1, needed, padded), input.AsMemory(0, needed * padded),
                        new TensorShape(1, 1, k, k), weights, stripBias);
                    var bytes = output.AsSpan(0, count * wout * outWidth);
                    if (raw)
                    {
                        kernel.ConvolveRaw(problem, sums.AsMemory(0, count * wout));
                        TensorBytes.EncodeRaw(sums.AsSpan(0, count * wout), bytes);
                    }
                    else
                    {
                        kernel.Convolve(problem, requantized.AsMemory(0, count * wout));
                        TensorBytes.Encode(requantized.AsSpan(0, count * wout), width, bytes);
                    }
                    if (!write(bytes))
                    {
                        return false;
                    }
                    // The next strip starts rows·s input rows further down: the last K − s rows of this one are its first.
                    kept = k - s;
                    input.AsSpan((needed - kept) * padded, kept * padded).CopyTo(input);
                }
                for (; next < h; next++)
                {
                    read(row.AsSpan(0, w * width));
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(row);
            ArrayPool<byte>.Shared.Return(output);
            if (raw)
            {
                ArrayPool<long>.Shared.Return(sums);
            }
            else
            {
                ArrayPool<int>.Shared.Return(requantized);
            }
        }
    }
}
