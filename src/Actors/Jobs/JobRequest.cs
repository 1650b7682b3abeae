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
    /// <summary>Inputs larger than this are kept in the blob store, not in the journal.</summary>
    public const int InlineLimit = 64 * 1024;

    /// <summary>The longest idempotency key, in characters.</summary>
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>The lowest <c>priority</c>; a job with a higher one runs first among the same tenant's jobs for the same module.</summary>
    public const int MinPriority = -100;

    /// <summary>The highest <c>priority</c>.</summary>
    public const int MaxPriority = 100;

    /// <summary>How far ahead a deadline may be; one further is a mistake, not a plan.</summary>
    public static readonly TimeSpan MaxDeadlineAhead = TimeSpan.FromDays(30);

    /// <summary>How far behind the clock a deadline may be (clock skew between client and board).</summary>
    public static readonly TimeSpan MaxDeadlineBehind = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The same request with its input moved to <paramref name="blobs"/> when it is larger than
    /// <paramref name="inlineLimit"/> bytes, so the journal keeps a key instead of the tensor. A file
    /// write: done by the submitter, never on an actor's thread.
    /// </summary>
    public JobRequest Offload(IBlobStore blobs, int inlineLimit = InlineLimit) =>
        InputBlob is null && Input.Length > inlineLimit ? this with { InputBlob = blobs.Put(Input), Input = [] } : this;

    /// <summary>The request with its input back inline.</summary>
    public JobRequest Inline(IBlobStore? blobs) =>
        InputBlob is { } key
            ? this with { Input = (blobs ?? throw new InvalidOperationException($"job input is in blob {key} but no blob store is configured")).Get(key), InputBlob = null }
            : this;

    /// <summary>
    /// Checks the request as <see cref="ToJob"/> would, scanning the tensors' bytes, and returns it
    /// with the module's canonical name. <see cref="ConvolutionException"/> names
    /// the field that is wrong. A request whose input is in the blob store was checked before it went there.
    /// With <paramref name="now"/>, the deadline must be within <see cref="MaxDeadlineBehind"/> before and
    /// <see cref="MaxDeadlineAhead"/> after it.
    /// </summary>
    public JobRequest Check(ConvLimits? limits = null, DateTimeOffset? now = null)
    {
        if (IdempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            throw new ConvolutionException("idempotencyKey", $"must be 1 to {MaxIdempotencyKeyLength} characters, found {IdempotencyKey.Length}");
        }
        if (Priority is < MinPriority or > MaxPriority)
        {
            throw new ConvolutionException("priority", $"must be from {MinPriority} to {MaxPriority}, found {Priority}");
        }
        if (Deadline is { } deadline && now is { } at && (deadline < at - MaxDeadlineBehind || deadline > at + MaxDeadlineAhead))
        {
            throw new ConvolutionException("deadline", $"must be between now and {MaxDeadlineAhead.TotalDays:0} days ahead ({at:O} .. {at + MaxDeadlineAhead:O}), found {deadline:O}");
        }
        var spec = Spec();
        var module = spec.Module;
        var input = Shape(InputShape, "input.shape");
        var weights = Shape(WeightShape, "weights.shape");
        // In the order ToJob finds them, so both name the same field.
        if (InputBlob is null)
        {
            ConvJob.RequireBytes("input", input, Input.Length, module);
        }
        ConvJob.RequireBytes("weights", weights, Weights.Length, module);
        ConvProblem.CheckShapes(spec, input, weights, Bias?.Length ?? 0, limits);
        if (InputBlob is null)
        {
            ConvProblem.CheckValues("input", Input, module);
        }
        ConvProblem.CheckValues("weights", Weights, module);
        return this with { Module = module.Name.Value };
    }

    /// <summary>
    /// The checked job, its tensors the request's bytes (not copied); <see cref="ConvolutionException"/> names
    /// the field that is wrong. An input in the blob store must be put back first (<see cref="Inline"/>).
    /// </summary>
    public ConvJob ToJob(ConvLimits? limits = null) =>
        ConvJob.Create(Spec(), Shape(InputShape, "input.shape"), Input, Shape(WeightShape, "weights.shape"), Weights, Bias ?? default(ReadOnlyMemory<long>), limits);

    /// <summary>The checked job with its tensors decoded to Int32; <see cref="ConvolutionException"/> names the field that is wrong.</summary>
    public ConvProblem ToProblem(ConvLimits? limits = null) => ToJob(limits).ToProblem();

    /// <summary>The module (by name or alias), stride, padding, shift and output as a spec; <see cref="ConvolutionException"/> names the field that is wrong.</summary>
    public ConvSpec Spec()
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
        return new ConvSpec(module, Stride, padding, Shift, output);
    }

    private static TensorShape Shape(int[] dims, string field) =>
        dims is not [var n, var c, var h, var w]
            ? throw new ConvolutionException(field, $"expected 4 dimensions (NCHW), found {dims.Length}")
            : dims.Any(d => d < 1)
                ? throw new ConvolutionException(field, $"every dimension must be at least 1, found [{string.Join(", ", dims)}]")
                : new TensorShape(n, c, h, w);
}
