namespace Dpr.Fabric.Convolution;

/// <summary>
/// A convolution job checked against docs/convolution.md: every implementation takes one of these, so
/// none of them sees a shape that does not agree or a value outside the precision.
/// </summary>
public sealed class ConvProblem
{
    private ConvProblem(
        ConvSpec spec, TensorShape inputShape, ReadOnlyMemory<int> input, TensorShape weightShape,
        ReadOnlyMemory<int> weights, ReadOnlyMemory<long> bias, TensorShape outputShape, long inputMaxAbs,
        long weightMaxAbs)
    {
        Spec = spec;
        InputShape = inputShape;
        Input = input;
        WeightShape = weightShape;
        Weights = weights;
        Bias = bias;
        OutputShape = outputShape;
        InputMaxAbs = inputMaxAbs;
        WeightMaxAbs = weightMaxAbs;
    }

    private PackedWeightsEntry? packedWeights;

    public ConvSpec Spec { get; }

    /// <summary>[N, Cin, H, W].</summary>
    public TensorShape InputShape { get; }

    public ReadOnlyMemory<int> Input { get; }

    /// <summary>[Cout, Cin, K, K].</summary>
    public TensorShape WeightShape { get; }

    public ReadOnlyMemory<int> Weights { get; }

    /// <summary>Cout values, or empty for no bias.</summary>
    public ReadOnlyMemory<long> Bias { get; }

    /// <summary>[N, Cout, Hout, Wout].</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Largest |x|: lets a kernel prove that a narrow accumulator cannot overflow.</summary>
    public long InputMaxAbs { get; }

    /// <summary>Largest |w|.</summary>
    public long WeightMaxAbs { get; }

    /// <summary>
    /// The weights as a kernel lays them out, packed on first use and kept with the job: a job's tensors
    /// never change after <see cref="Create"/> (its bounds above already rely on that), so a job run many
    /// times, like a layer of a network, packs them once, as ONNX Runtime does with initializers.
    /// </summary>
    internal T PackedWeights<T>(object layout, Func<ConvProblem, T> pack)
        where T : class
    {
        if (Volatile.Read(ref packedWeights) is { } cached && cached.Layout.Equals(layout))
        {
            return (T)cached.Weights;
        }
        var weights = pack(this);
        Volatile.Write(ref packedWeights, new PackedWeightsEntry(layout, weights));
        return weights;
    }

    /// <summary>Multiply-accumulates of the job (the ops of a GOPS figure are twice this).</summary>
    public long MultiplyAccumulates =>
        OutputShape.Count * InputShape.C * Spec.KernelSize * Spec.KernelSize;

    /// <summary>
    /// Checks a job; throws <see cref="ConvolutionException"/> naming the first field that is wrong.
    /// <paramref name="precision"/> is the precision the caller declared for its tensors, if any; it must
    /// match the module's.
    /// </summary>
    public static ConvProblem Create(
        ConvSpec spec,
        TensorShape inputShape,
        ReadOnlyMemory<int> input,
        TensorShape weightShape,
        ReadOnlyMemory<int> weights,
        ReadOnlyMemory<long> bias = default,
        ConvLimits? limits = null,
        ConvPrecision? precision = null)
    {
        var outputShape = CheckShapes(spec, inputShape, weightShape, bias.Length, limits, precision);
        if (input.Length != inputShape.Count)
        {
            throw new ConvolutionException("input.shape", $"shape {inputShape} needs {inputShape.Count} values, got {input.Length}");
        }
        if (weights.Length != weightShape.Count)
        {
            throw new ConvolutionException("weights.shape", $"shape {weightShape} needs {weightShape.Count} values, got {weights.Length}");
        }
        var inputMaxAbs = MaxAbsInRange("input", input.Span, spec.Module);
        var weightMaxAbs = MaxAbsInRange("weights", weights.Span, spec.Module);
        return new ConvProblem(spec, inputShape, input, weightShape, weights, bias, outputShape, inputMaxAbs, weightMaxAbs);
    }

    /// <summary>
    /// Everything <see cref="Create"/> checks that does not depend on the values: the spec, the shapes
    /// against the module and each other, the bias length and the size limits. Returns the output shape.
    /// </summary>
    public static TensorShape CheckShapes(
        ConvSpec spec, TensorShape inputShape, TensorShape weightShape, int biasLength, ConvLimits? limits = null, ConvPrecision? precision = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        limits ??= ConvLimits.Default;
        spec.Validate();
        var module = spec.Module;
        if (precision is { } declared && declared != module.Precision)
        {
            throw new ConvolutionException(
                "precision", $"int{(int)declared} does not match module {module.Name}, which is {module.PrecisionName}");
        }
        RequirePositive("input.shape", inputShape);
        RequirePositive("weights.shape", weightShape);
        if (weightShape.H != weightShape.W || weightShape.H != module.KernelSize)
        {
            throw new ConvolutionException(
                "weights.shape",
                $"weights are {weightShape.H}x{weightShape.W} but module {module.Name} has a {module.KernelSize}x{module.KernelSize} kernel");
        }
        if (weightShape.C != inputShape.C)
        {
            throw new ConvolutionException(
                "weights.shape", $"weights have Cin = {weightShape.C} but the input has {inputShape.C} channels");
        }
        if (biasLength != 0 && biasLength != weightShape.N)
        {
            throw new ConvolutionException("bias", $"bias has {biasLength} values but Cout = {weightShape.N}");
        }
        var hOut = spec.OutputSize(inputShape.H);
        var wOut = spec.OutputSize(inputShape.W);
        if (hOut < 1 || wOut < 1)
        {
            throw new ConvolutionException(
                "input.shape",
                $"{inputShape.H}x{inputShape.W} is smaller than the {module.KernelSize}x{module.KernelSize} kernel with valid padding");
        }
        var outputShape = new TensorShape(inputShape.N, weightShape.N, hOut, wOut);
        RequireWithin("input.size", inputShape, limits);
        RequireWithin("weights.size", weightShape, limits);
        RequireWithin("output.size", outputShape, limits);
        return outputShape;
    }

    /// <summary>
    /// Checks that every element of a tensor in the byte layout of <see cref="TensorBytes"/> is within the
    /// module's precision, without decoding it (a job is checked on submission and decoded only to run).
    /// <paramref name="firstIndex"/> is the index of the first element, for a tensor checked a chunk at a time.
    /// </summary>
    public static void CheckValues(string field, ReadOnlySpan<byte> bytes, ConvModule module, long firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(module);
        var width = module.Bits / 8;
        var count = bytes.Length / width;
        for (var i = 0; i < count; i++)
        {
            var value = TensorBytes.Read(bytes, i, width);
            if (value < module.MinValue || value > module.MaxValue)
            {
                throw OutOfRange(field, firstIndex + i, value, module);
            }
        }
    }

    private static void RequirePositive(string field, TensorShape shape)
    {
        if (shape.N < 1 || shape.C < 1 || shape.H < 1 || shape.W < 1)
        {
            throw new ConvolutionException(field, $"every dimension must be at least 1, was {shape}");
        }
    }

    private static void RequireWithin(string field, TensorShape shape, ConvLimits limits)
    {
        if (shape.Count > limits.MaxTensorElements)
        {
            throw new ConvolutionException(
                field, $"{shape} has {shape.Count} elements, over the limit of {limits.MaxTensorElements}");
        }
    }

    private static long MaxAbsInRange(string field, ReadOnlySpan<int> values, ConvModule module)
    {
        long min = 0, max = 0;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min < module.MinValue || max > module.MaxValue)
        {
            var index = values.IndexOfAnyExceptInRange((int)module.MinValue, (int)module.MaxValue);
            throw OutOfRange(field, index, values[index], module);
        }
        return Math.Max(-min, max);
    }

    private static ConvolutionException OutOfRange(string field, long index, int value, ConvModule module) =>
        new(field, $"element {index} is {value}, outside {module.PrecisionName} [{module.MinValue}, {module.MaxValue}]");

    private sealed record PackedWeightsEntry(object Layout, object Weights);
}
