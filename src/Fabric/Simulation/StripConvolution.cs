using System.Buffers;
using System.Buffers.Binary;
using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// A convolution computed a strip of output rows at a time from a stream of NHWC input rows, as a module
/// with line buffers sees its input (hardware/rtl/conv_rm.v: CIN elements per pixel in, COUT per pixel
/// out). A strip's input rows, the K − stride rows of halo kept from the strip before and the padding as
/// zeros, are decoded into a small buffer of CIN planes and run on the CPU kernel as a valid-padding
/// problem; its output rows leave NHWC at native width. The memory is one strip whatever the image's
/// height: at most <see cref="DefaultStripElements"/> inputs, or K rows when one row is wider (a few MB
/// for the widest row the module takes).
/// </summary>
internal sealed class StripConvolution(ConvKernel kernel, int stripElements = StripConvolution.DefaultStripElements)
{
    /// <summary>Input elements a strip holds: 512 KB as Int32, enough rows for the kernel's threads to share.</summary>
    public const int DefaultStripElements = 1 << 17;

    /// <summary>
    /// Convolves <paramref name="frames"/> ([N, CIN, H, W], NHWC, P/8 bytes an element, read in order
    /// from <paramref name="read"/>) with <paramref name="weights"/> ([COUT, CIN, K, K]) and one
    /// <paramref name="bias"/> per output channel, and writes the NHWC outputs in order to
    /// <paramref name="write"/>, which may change the bytes it is given. Every input row is read, also
    /// those no output needs. The spec, shape and values must be valid.
    /// </summary>
    /// <returns>False when <paramref name="write"/> refused a strip; nothing more is read or written then.</returns>
    public bool Run(ConvSpec spec, TensorShape frames, int[] weights, long[] bias, Action<Span<byte>> read, Func<Span<byte>, bool> write)
    {
        var (n, cin, h, w) = frames;
        var cout = bias.Length;
        var k = spec.KernelSize;
        var s = spec.Stride;
        var pad = spec.Pad;
        var (hout, wout) = (spec.OutputSize(h), spec.OutputSize(w));
        var width = spec.Module.Bits / 8;
        var raw = spec.Output == ConvOutputMode.Raw;
        var outWidth = raw ? 8 : width;
        var padded = w + (2 * pad);
        // Output rows of a strip: as many as keep its (rows − 1)·s + K input rows of CIN planes within the budget, at least one.
        var rows = Math.Clamp((((stripElements / padded / cin) - k) / s) + 1, 1, hout);
        var stripRows = ((rows - 1) * s) + k;
        var plane = stripRows * padded;
        var stripSpec = spec with { Padding = ConvPadding.Valid };
        var weightShape = new TensorShape(cout, cin, k, k);
        var input = ArrayPool<int>.Shared.Rent(cin * plane);
        var row = ArrayPool<byte>.Shared.Rent(w * cin * width);
        int[] requantized = raw ? [] : ArrayPool<int>.Shared.Rent(rows * wout * cout);
        long[] sums = raw ? ArrayPool<long>.Shared.Rent(rows * wout * cout) : [];
        var output = ArrayPool<byte>.Shared.Rent(rows * wout * cout * outWidth);
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
                        if (top + i < 0 || top + i >= h)
                        {
                            for (var c = 0; c < cin; c++)
                            {
                                input.AsSpan((c * plane) + (i * padded), padded).Clear();
                            }
                            continue;
                        }
                        read(row.AsSpan(0, w * cin * width));
                        next++;
                        Deinterleave(row.AsSpan(0, w * cin * width), width, cin, pad, input.AsSpan(i * padded), plane, padded);
                    }
                    // The kernel takes [1, CIN, needed, padded]: a short last strip closes the gaps between its planes.
                    for (var c = 1; c < cin && needed < stripRows; c++)
                    {
                        input.AsSpan(c * plane, needed * padded).CopyTo(input.AsSpan(c * needed * padded));
                    }
                    var problem = ConvProblem.Create(
                        stripSpec, new TensorShape(1, cin, needed, padded), input.AsMemory(0, cin * needed * padded), weightShape, weights, bias);
                    var results = count * wout;
                    var bytes = output.AsSpan(0, results * cout * outWidth);
                    if (raw)
                    {
                        kernel.ConvolveRaw(problem, sums.AsMemory(0, results * cout));
                        if (cout == 1)
                        {
                            TensorBytes.EncodeRaw(sums.AsSpan(0, results), bytes);
                        }
                        for (var i = 0; i < results * cout && cout > 1; i++)
                        {
                            BinaryPrimitives.WriteInt64LittleEndian(bytes[(Interleaved(i, results, cout) * 8)..], sums[i]);
                        }
                    }
                    else
                    {
                        kernel.Convolve(problem, requantized.AsMemory(0, results * cout));
                        if (cout == 1)
                        {
                            TensorBytes.Encode(requantized.AsSpan(0, results), width, bytes);
                        }
                        for (var i = 0; i < results * cout && cout > 1; i++)
                        {
                            TensorBytes.Write(bytes, Interleaved(i, results, cout), width, requantized[i]);
                        }
                    }
                    if (!write(bytes))
                    {
                        return false;
                    }
                    // The next strip starts rows·s input rows further down: the last K − s rows of this one are its first.
                    kept = k - s;
                    for (var c = 0; c < cin && needed == stripRows; c++)
                    {
                        input.AsSpan((c * plane) + ((needed - kept) * padded), kept * padded).CopyTo(input.AsSpan(c * plane));
                    }
                }
                for (; next < h; next++)
                {
                    read(row.AsSpan(0, w * cin * width));
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

    /// <summary>One NHWC row of CIN channels into row <paramref name="rows"/>[0..] of each channel's plane, zero padding columns around it.</summary>
    private static void Deinterleave(ReadOnlySpan<byte> bytes, int width, int cin, int pad, Span<int> rows, int plane, int padded)
    {
        var w = bytes.Length / width / cin;
        for (var c = 0; c < cin; c++)
        {
            var line = rows.Slice(c * plane, padded);
            line[..pad].Clear();
            line[(pad + w)..].Clear();
            if (cin == 1)
            {
                TensorBytes.Decode(bytes, width, line.Slice(pad, w));
                continue;
            }
            for (var x = 0; x < w; x++)
            {
                line[pad + x] = TensorBytes.Read(bytes, ((long)x * cin) + c, width);
            }
        }
    }

    /// <summary>Where result <paramref name="i"/> of the kernel's [COUT, pixels] output goes in the NHWC strip: pixel·COUT + channel.</summary>
    private static int Interleaved(int i, int pixels, int cout) => ((i % pixels) * cout) + (i / pixels);
}
