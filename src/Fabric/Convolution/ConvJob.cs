namespace Dpr.Fabric.Convolution;

/// <summary>
/// A convolution job checked as <see cref="ConvProblem"/> checks it, with its tensors kept in the byte
/// layout of docs/convolution.md (<see cref="TensorBytes"/>): the bytes a tenant sent, a module's DMA
/// buffers take and the result store keeps. A job runs on a module at its native width (an int8 image
/// stays a byte an element); only the CPU kernel needs it decoded (<see cref="ToProblem"/>). P/8-byte
/// elements are always within the precision, so there are no values to check.
/// </summary>
public sealed class ConvJob
{
    private readonly ConvLimits? _limits;

    private ConvJob(
        ConvSpec spec, TensorShape inputShape, ReadOnlyMemory<byte> input, TensorShape weightShape, ReadOnlyMemory<byte> weights,
        ReadOnlyMemory<long> bias, TensorShape outputShape, ConvLimits? limits)
    {
        Spec = spec;
        InputShape = inputShape;
        Input = input;
        WeightShape = weightShape;
        Weights = weights;
        Bias = bias;
        OutputShape = outputShape;
        _limits = limits;
    }

    public ConvSpec Spec { get; }

    /// <summary>[N, Cin, H, W].</summary>
    public TensorShape InputShape { get; }

    /// <summary>P/8 bytes an element.</summary>
    public ReadOnlyMemory<byte> Input { get; }

    /// <summary>[Cout, Cin, K, K].</summary>
    public TensorShape WeightShape { get; }

    /// <summary>P/8 bytes an element.</summary>
    public ReadOnlyMemory<byte> Weights { get; }

    /// <summary>Cout values, or empty for no bias.</summary>
    public ReadOnlyMemory<long> Bias { get; }

    /// <summary>[N, Cout, Hout, Wout].</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Bytes an input or weight element takes: P/8.</summary>
    public int Width => Spec.Module.Bits / 8;

    /// <summary>Bytes an output element takes: P/8 requantized, 8 (Int64) raw.</summary>
    public int OutputWidth => Spec.Output == ConvOutputMode.Raw ? 8 : Width;

    /// <summary>The size of the output tensor in bytes.</summary>
    public long OutputBytes => OutputShape.Count * OutputWidth;

    /// <summary>
    /// Checks a job: the byte lengths against the shapes, then everything <see cref="ConvProblem.CheckShapes"/>
    /// checks. Throws <see cref="ConvolutionException"/> naming the first field that is wrong. The tensors are
    /// kept, not copied.
    /// </summary>
    public static ConvJob Create(
        ConvSpec spec,
        TensorShape inputShape,
        ReadOnlyMemory<byte> input,
        TensorShape weightShape,
        ReadOnlyMemory<byte> weights,
        ReadOnlyMemory<long> bias = default,
        ConvLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RequireBytes("input", inputShape, input.Length, spec.Module);
        RequireBytes("weights", weightShape, weights.Length, spec.Module);
        var outputShape = ConvProblem.CheckShapes(spec, inputShape, weightShape, bias.Length, limits);
        return new ConvJob(spec, inputShape, input, weightShape, weights, bias, outputShape, limits);
    }

    /// <summary>The job of a decoded problem, its tensors encoded.</summary>
    public static ConvJob Encode(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var width = problem.Spec.Module.Bits / 8;
        return new ConvJob(
            problem.Spec, problem.InputShape, TensorBytes.Encode(problem.Input.Span, width), problem.WeightShape,
            TensorBytes.Encode(problem.Weights.Span, width), problem.Bias, problem.OutputShape,
            // Checked when the problem was made, against whatever limits its maker chose.
            new ConvLimits(long.MaxValue));
    }

    /// <summary>
    /// Throws <see cref="ConvolutionException"/> on <paramref name="field"/> unless <paramref name="length"/>
    /// bytes are exactly the elements of <paramref name="shape"/> at <paramref name="module"/>'s width.
    /// </summary>
    public static void RequireBytes(string field, TensorShape shape, long length, ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var needed = (Int128)shape.Count * (module.Bits / 8);
        if (length != needed)
        {
            throw new ConvolutionException(field, $"shape {shape} of {module.PrecisionName} needs {needed} bytes, found {length}");
        }
    }

    /// <summary>The job with its tensors decoded to Int32, for the CPU kernel: four times an int8 input.</summary>
    public ConvProblem ToProblem()
    {
        var width = Width;
        return ConvProblem.Create(
            Spec, InputShape, TensorBytes.Decode(Input.Span, width), WeightShape, TensorBytes.Decode(Weights.Span, width), Bias, _limits);
    }
}
