using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;
using Dpr.Fabric.Convolution;

namespace Dpr.Host.Bench.Memory;

/// <summary>
/// The body of <c>POST /v1/jobs</c> for a large job, written as it is sent: the input tensor is made
/// and base64-encoded in chunks, so the benchmark's own memory never holds it whole and the job may be
/// as large as the service admits. <paramref name="chunked"/> sends it without a Content-Length, as a
/// client streaming from a pipe does. <paramref name="seed"/> makes the same bytes every time.
/// </summary>
internal sealed class TensorBody(ConvModule module, int[] inputShape, int outputChannels, int seed, bool chunked = false) : HttpContent
{
    /// <summary>Input bytes encoded per chunk: a multiple of 3, so chunks join into one base64 string.</summary>
    private const int Chunk = 3 * 64 * 1024;

    public bool Chunked => chunked;

    public long InputBytes { get; } = inputShape.Aggregate(1L, (a, b) => a * b) * (module.Bits / 8);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(Prefix());
        var random = new Random(seed);
        var plain = new byte[Chunk];
        var encoded = new byte[Base64.GetMaxEncodedToUtf8Length(Chunk)];
        for (long done = 0; done < InputBytes; done += Chunk)
        {
            var length = (int)Math.Min(Chunk, InputBytes - done);
            Fill(plain.AsSpan(0, length), random);
            Base64.EncodeToUtf8(plain.AsSpan(0, length), encoded, out _, out var written, isFinalBlock: done + length == InputBytes);
            await stream.WriteAsync(encoded.AsMemory(0, written));
        }
        await stream.WriteAsync(Suffix(random));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = chunked ? 0 : Prefix().Length + ((InputBytes + 2) / 3 * 4) + Suffix(new Random(seed)).Length;
        return !chunked;
    }

    /// <summary>Values well inside every precision (|x| ≤ 100), little-endian at the module's width.</summary>
    private void Fill(Span<byte> bytes, Random random)
    {
        var width = module.Bits / 8;
        random.NextBytes(bytes);
        if (width == 1)
        {
            return;
        }
        for (var i = 0; i + width <= bytes.Length; i += width)
        {
            TensorBytes.Write(bytes[i..], 0, width, (sbyte)bytes[i] % 101);
        }
    }

    private byte[] Prefix() => Encoding.ASCII.GetBytes(
        $"{{\"module\":\"{module.Name}\",\"shift\":4,\"input\":{{\"shape\":[{string.Join(',', inputShape)}],\"data\":\"");

    /// <summary>The rest after the input: the weights (small, made here from the same seed) and a bias per output channel.</summary>
    private byte[] Suffix(Random random)
    {
        var k = module.KernelSize;
        var width = module.Bits / 8;
        var weights = new int[outputChannels * inputShape[1] * k * k];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = random.Next(-20, 21);
        }
        var bias = string.Join(',', Enumerable.Range(0, outputChannels).Select(i => (i % 7).ToString(CultureInfo.InvariantCulture)));
        return Encoding.ASCII.GetBytes(
            $$"""
            "},"weights":{"shape":[{{outputChannels}},{{inputShape[1]}},{{k}},{{k}}],"data":"{{Convert.ToBase64String(TensorBytes.Encode(weights, width))}}"},"bias":[{{bias}}]}
            """);
    }
}
