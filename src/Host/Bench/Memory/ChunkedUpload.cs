using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dpr.Host.Bench.Memory;

/// <summary>
/// A <c>POST</c> with a chunked body over a socket of its own, reading the answer while it sends. A
/// service that refuses a large chunked body answers 413 and closes the connection while the client is
/// still sending; <see cref="HttpClient"/> then reports only the broken send, never the status, so the
/// benchmark would not know the body was refused.
/// </summary>
internal static class ChunkedUpload
{
    /// <summary>The status the service answered (0 when it closed the connection without one).</summary>
    public static async Task<HttpStatusCode> PostAsync(Uri url, string path, string key, HttpContent body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port);
        var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {url.Authority}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var answer = ReadStatusAsync(stream);
        var send = SendAsync(new ChunkWriter(stream), body);
        await Task.WhenAny(answer, send);
        return await answer;
    }

    private static async Task SendAsync(ChunkWriter chunks, HttpContent body)
    {
        try
        {
            await body.CopyToAsync(chunks);
            await chunks.EndAsync();
        }
        catch (IOException)
        {
            // The service closed the connection: its answer, if any, is read by ReadStatusAsync.
        }
    }

    /// <summary>The status code of the first line of the answer.</summary>
    private static async Task<HttpStatusCode> ReadStatusAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        try
        {
            while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
            {
                line.Append((char)one[0]);
            }
        }
        catch (IOException)
        {
        }
        var parts = line.ToString().Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? (HttpStatusCode)status : 0;
    }

    /// <summary>Writes each buffer as one chunk of HTTP/1.1 chunked transfer coding.</summary>
    private sealed class ChunkWriter(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
            {
                return;
            }
            await inner.WriteAsync(Encoding.ASCII.GetBytes($"{buffer.Length:X}\r\n"), cancellationToken);
            await inner.WriteAsync(buffer, cancellationToken);
            await inner.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
        }

        public Task EndAsync() => inner.WriteAsync("0\r\n\r\n"u8.ToArray()).AsTask();
    }
}
