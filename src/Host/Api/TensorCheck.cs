using Dpr.Fabric.Convolution;

namespace Dpr.Host.Api;

/// <summary>
/// What <c>JobRequest.Check</c> checks of a tensor's bytes — their count against its shape, each value
/// within the module's precision (<see cref="ConvProblem.CheckValues"/>) — made a chunk at a time as the
/// bytes are decoded, with the same field and message. More bytes than the shape needs are refused as
/// soon as they arrive.
/// </summary>
internal sealed class TensorCheck(string field, ConvModule module, TensorShape? shape = null)
{
    private readonly int _width = module.Bits / 8;
    /// <summary>The first bytes of an element split between chunks.</summary>
    private readonly byte[] _split = new byte[4];
    private int _splitLength;

    public ConvModule Module { get; } = module;

    /// <summary>The bytes checked so far.</summary>
    public long Count { get; private set; }

    /// <exception cref="ConvolutionException">A value is outside the precision, or there are more bytes than the shape needs.</exception>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (shape is { } expected && Count + chunk.Length > Needed(expected))
        {
            throw new ConvolutionException(field, $"shape {expected} of {Module.PrecisionName} needs {Needed(expected)} bytes, found more");
        }
        var index = Count / _width;
        Count += chunk.Length;
        if (_splitLength > 0)
        {
            var take = Math.Min(_width - _splitLength, chunk.Length);
            chunk[..take].CopyTo(_split.AsSpan(_splitLength));
            _splitLength += take;
            chunk = chunk[take..];
            if (_splitLength < _width)
            {
                return;
            }
            ConvProblem.CheckValues(field, _split.AsSpan(0, _width), Module, index++);
            _splitLength = 0;
        }
        var whole = chunk.Length - (chunk.Length % _width);
        ConvProblem.CheckValues(field, chunk[..whole], Module, index);
        chunk[whole..].CopyTo(_split);
        _splitLength = chunk.Length - whole;
    }

    /// <summary>Once every byte has passed: their count must be what <paramref name="final"/> needs.</summary>
    /// <exception cref="ConvolutionException">It is not.</exception>
    public void Complete(TensorShape final)
    {
        if (Count != Needed(final))
        {
            throw new ConvolutionException(field, $"shape {final} of {Module.PrecisionName} needs {Needed(final)} bytes, found {Count}");
        }
    }

    private Int128 Needed(TensorShape s) => (Int128)s.Count * _width;
}
