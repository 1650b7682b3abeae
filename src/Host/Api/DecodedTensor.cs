using Dpr.Actors.Jobs;

namespace Dpr.Host.Api;

/// <summary>
/// A tensor's bytes as its base64 is decoded, kept where they will live: in a byte array of the size
/// the tensor turns out to have, or — for an input over <c>inlineLimit</c> bytes — in a
/// <see cref="BlobUpload"/>, moved there the moment it outgrows the limit (or from the first byte when
/// its shape already said so). A <see cref="TensorCheck"/>, when there is one, sees every chunk first.
/// </summary>
internal sealed class DecodedTensor : IDisposable
{
    /// <summary>The first array of a tensor whose size is not known yet; it doubles as the bytes come.</summary>
    private const int FirstCapacity = 4096;
    private readonly string _field;
    private readonly IBlobStore? _blobs;
    private readonly long _inlineLimit;
    private byte[] _bytes;
    private int _length;

    /// <param name="blobs">Where an input over <paramref name="inlineLimit"/> goes; null keeps every byte in memory (weights).</param>
    /// <param name="expectedBytes">What the tensor's shape says it has, when known: the array is made that size (up to the limit).</param>
    public DecodedTensor(string field, IBlobStore? blobs, long inlineLimit, TensorCheck? check, long? expectedBytes)
    {
        _field = field;
        _blobs = blobs;
        _inlineLimit = blobs is null ? Array.MaxLength : inlineLimit;
        Check = check;
        if (blobs is not null && expectedBytes > _inlineLimit)
        {
            _bytes = [];
            Upload = blobs.BeginPut();
        }
        else
        {
            // A size the shape claims is trusted only as far as the inline limit (or 1 MiB of weights) before the bytes arrive.
            _bytes = new byte[(int)Math.Min(expectedBytes ?? FirstCapacity, Math.Min(_inlineLimit, 1 << 20))];
        }
    }

    public TensorCheck? Check { get; }

    /// <summary>Where the bytes are when they outgrew memory; the owner of this tensor disposes it, or takes it with <see cref="TakeUpload"/>.</summary>
    public BlobUpload? Upload { get; private set; }

    /// <exception cref="Fabric.Convolution.ConvolutionException">The check refused the chunk.</exception>
    /// <exception cref="IOException">The upload could not be written.</exception>
    public void Write(ReadOnlySpan<byte> chunk)
    {
        Check?.Append(chunk);
        if (Upload is null && (long)_length + chunk.Length > _inlineLimit)
        {
            Upload = (_blobs ?? throw new Fabric.Convolution.ConvolutionException(_field, $"more than {_inlineLimit} bytes")).BeginPut();
            Upload.Write(_bytes.AsSpan(0, _length));
            _bytes = [];
            _length = 0;
        }
        if (Upload is { } upload)
        {
            upload.Write(chunk);
            return;
        }
        if (_length + chunk.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, (int)Math.Min(_inlineLimit, Math.Max(_length + chunk.Length, 2L * _bytes.Length)));
        }
        chunk.CopyTo(_bytes.AsSpan(_length));
        _length += chunk.Length;
    }

    /// <summary>The bytes, when they stayed in memory.</summary>
    public byte[] ToArray() =>
        Upload is not null ? throw new InvalidOperationException("the tensor is in a blob upload")
        : _length == _bytes.Length ? _bytes : _bytes.AsSpan(0, _length).ToArray();

    /// <summary>The upload, now the caller's to commit and dispose.</summary>
    public BlobUpload? TakeUpload()
    {
        var upload = Upload;
        Upload = null;
        return upload;
    }

    public void Dispose() => Upload?.Dispose();
}
