using Dpr.Fabric.Convolution;
using MessagePack;

namespace Dpr.Actors.Jobs;

/// <summary>
/// A convolution job as a tenant submits it: the module (name or alias), the spec, and the tensors as
/// the bytes of docs/convolution.md ("Memory layout"). <see cref="IdempotencyKey"/> makes a resubmission
/// return the same job. Stored as given in <c>JobAccepted</c>, so a job can always be run again.
/// </summary>
[MessagePackObject]
public sealed record JobRequest(
    [property: Key(0)] string Tenant,
    [property: Key(1)] string Module,
    [property: Key(2)] int Stride,
    [property: Key(3)] string Padding,
    [property: Key(4)] int Shift,
    [property: Key(5)] string Output,
    [property: Key(6)] int[] InputShape,
    [property: Key(7)] byte[] Input,
    [property: Key(8)] int[] WeightShape,
    [property: Key(9)] byte[] Weights,
    [property: Key(10)] long[]? Bias = null,
    [property: Key(11)] int Priority = 0,
    [property: Key(12)] DateTimeOffset? Deadline = null,
    [property: Key(13)] string? IdempotencyKey = null,
    [property: Key(14)] bool CpuFallback = false,
    [property: Key(15)] string? InputBlob = null) : IDprMessage
{
    /// <summary>
    /// The same request with its input moved to <paramref name="blobs"/> when it is larger than
    /// <paramref name="inlineLimit"/> bytes, so the journal keeps a key instead of the tensor.
    /// </summary>
    public JobRequest Offload(BlobStore blobs, int inlineLimit) =>
        InputBlob is null && Input.Length > inlineLimit ? this with { InputBlob = blobs.Put(Input), Input = [] } : this;

    /// <summary>The request with its input back inline.</summary>
    public JobRequest Inline(BlobStore? blobs) =>
        InputBlob is { } key
            ? this with { Input = (blobs ?? throw new InvalidOperationException($"job input is in blob {key} but no blob store is configured")).Get(key), InputBlob = null }
            : this;

    /// <summary>The checked job; <see cref="ConvolutionException"/> names the field that is wrong.</summary>
    public ConvProblem ToProblem(ConvLimits? limits = null)
    {
        var module = ConvModule.Resolve(Module);
        var padding = Padding.ToLowerInvariant() switch
        {
            "same" => ConvPadding.Same,
            "valid" => ConvPadding.Valid,
            _ => throw new ConvolutionException("padding", $"expected same or valid, found '{Padding}'"),
        };
        var output = Output.ToLowerInvariant() switch
        {
            "requantized" => ConvOutputMode.Requantized,
            "raw" => ConvOutputMode.Raw,
            _ => throw new ConvolutionException("output", $"expected requantized or raw, found '{Output}'"),
        };
        var width = module.Bits / 8;
        var input = Shape(InputShape, "input.shape");
        var weights = Shape(WeightShape, "weights.shape");
        if (Input.Length != input.Count * width)
        {
            throw new ConvolutionException("input", $"shape {input} of {module.Precision} needs {input.Count * width} bytes, found {Input.Length}");
        }
        if (Weights.Length != weights.Count * width)
        {
            throw new ConvolutionException("weights", $"shape {weights} of {module.Precision} needs {weights.Count * width} bytes, found {Weights.Length}");
        }
        return ConvProblem.Create(
            new ConvSpec(module, Stride, padding, Shift, output),
            input, TensorBytes.Decode(Input, width),
            weights, TensorBytes.Decode(Weights, width),
            Bias ?? default(ReadOnlyMemory<long>),
            limits);
    }

    private static TensorShape Shape(int[] dims, string field) =>
        dims is not [var n, var c, var h, var w]
            ? throw new ConvolutionException(field, $"expected 4 dimensions (NCHW), found {dims.Length}")
            : dims.Any(d => d < 1)
                ? throw new ConvolutionException(field, $"every dimension must be at least 1, found [{string.Join(", ", dims)}]")
                : new TensorShape(n, c, h, w);
}
