using Microsoft.AspNetCore.Http;

namespace Dpr.Host.Api;

/// <summary>
/// A request body read through a count of the bytes actually read, so a chunked body is held to the
/// limits as much as one with a <c>Content-Length</c>: past <c>maxBytes</c> a 413, and, with
/// <see cref="LargeBodies"/>, a slot among the large bodies read at once taken when the body is known
/// or found to be large (a 503 when none is free). Either refusal comes before more of the body is read.
/// Disposing gives the slot back; the request's own stream is left to ASP.NET Core.
/// </summary>
internal sealed class BoundedBody : Stream
{
    private readonly Stream _body;
    private readonly long _maxBytes;
    private readonly string _limit;
    private readonly LargeBodies? _large;
    private IDisposable? _slot;
    private long _read;

    /// <param name="limit">What <paramref name="maxBytes"/> is, for the 413's detail (<c>Dpr:MaxRequestBytes</c>).</param>
    /// <exception cref="ApiProblem">413: the <c>Content-Length</c> is over <paramref name="maxBytes"/>; 503: it is large and no slot is free.</exception>
    public BoundedBody(HttpRequest request, long maxBytes, string limit, LargeBodies? large = null)
    {
        _body = request.Body;
        _maxBytes = maxBytes;
        _limit = limit;
        _large = large;
        if (request.ContentLength > maxBytes)
        {
            throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "body", $"the body has {request.ContentLength} bytes; at most {maxBytes} are accepted ({limit})");
        }
        if (request.ContentLength > large?.ThresholdBytes)
        {
            _slot = large!.Enter();
        }
    }

    /// <summary>The bytes read so far.</summary>
    public long BytesRead => _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await _body.ReadAsync(buffer, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own count (MaxRequestBodySize, the same limit).
            throw TooLarge();
        }
        _read += read;
        if (_read > _maxBytes)
        {
            throw TooLarge();
        }
        if (_slot is null && _read > _large?.ThresholdBytes)
        {
            _slot = _large!.Enter();
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous reads are refused by ASP.NET Core's request body; so they are here.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the request body is read asynchronously");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _slot?.Dispose();
            _slot = null;
        }
        base.Dispose(disposing);
    }

    private ApiProblem TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, "body", $"the body is larger than {_maxBytes} bytes ({_limit})");
}
