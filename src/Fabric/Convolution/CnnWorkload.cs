namespace Dpr.Fabric.Convolution;

/// <summary>
/// A small CNN workload shaped like the paper's: an MNIST-like network (28x28x1, 5x5 convolutions, int8)
/// and a CIFAR-10-like one (32x32x3, 3x3 then 5x5, int16 then int32), eight layers that use all six
/// modules. Weights and inputs are synthetic and deterministic (SplitMix64 seeded by the layer name),
/// uniform over the whole precision range, so runs are reproducible anywhere.
/// </summary>
public static class CnnWorkload
{
    private static readonly ConvModule C5I8 = ConvModule.Resolve("conv5x5_int8");
    private static readonly ConvModule C3I8 = ConvModule.Resolve("conv3x3_int8");
    private static readonly ConvModule C3I16 = ConvModule.Resolve("conv3x3_int16");
    private static readonly ConvModule C5I16 = ConvModule.Resolve("conv5x5_int16");
    private static readonly ConvModule C3I32 = ConvModule.Resolve("conv3x3_int32");
    private static readonly ConvModule C5I32 = ConvModule.Resolve("conv5x5_int32");

    public static IReadOnlyList<CnnLayer> Mnist { get; } = Chain(
        "mnist", new TensorShape(1, 1, 28, 28),
        (C5I8, 6, 1, ConvPadding.Valid),
        (C5I8, 16, 2, ConvPadding.Valid),
        (C3I8, 32, 1, ConvPadding.Same));

    public static IReadOnlyList<CnnLayer> Cifar { get; } = Chain(
        "cifar", new TensorShape(1, 3, 32, 32),
        (C3I16, 32, 1, ConvPadding.Same),
        (C3I16, 32, 2, ConvPadding.Same),
        (C5I16, 64, 1, ConvPadding.Same),
        (C3I32, 64, 2, ConvPadding.Same),
        (C5I32, 64, 1, ConvPadding.Same));

    public static IReadOnlyList<CnnLayer> All { get; } = [.. Mnist, .. Cifar];

    /// <summary>The layer's deterministic weights, [Cout, Cin, K, K].</summary>
    public static int[] Weights(CnnLayer layer) => Synthetic(layer.Name + "/weights", layer.Weights.Count, layer.Module);

    /// <summary>A deterministic input for the layer alone, [N, Cin, H, W].</summary>
    public static int[] Input(CnnLayer layer) => Synthetic(layer.Name + "/input", layer.Input.Count, layer.Module);

    public static ConvProblem Problem(CnnLayer layer, ConvOutputMode output = ConvOutputMode.Requantized) =>
        Problem(layer, Input(layer), output);

    public static ConvProblem Problem(CnnLayer layer, ReadOnlyMemory<int> input, ConvOutputMode output = ConvOutputMode.Requantized) =>
        ConvProblem.Create(layer.Spec(output), layer.Input, input, layer.Weights, Weights(layer));

    /// <summary>
    /// Runs a network layer by layer, each layer's requantized output the next one's input (precisions
    /// only grow along a network, so every value fits); returns every layer's output.
    /// </summary>
    public static IReadOnlyList<int[]> Run(IReadOnlyList<CnnLayer> network, Func<ConvProblem, int[]> convolve)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(convolve);
        var outputs = new List<int[]>();
        var x = Input(network[0]);
        foreach (var layer in network)
        {
            x = convolve(Problem(layer, x));
            outputs.Add(x);
        }
        return outputs;
    }

    private static CnnLayer[] Chain(string name, TensorShape input, params (ConvModule Module, int Cout, int Stride, ConvPadding Padding)[] layers)
    {
        var result = new CnnLayer[layers.Length];
        var sigma = Uniform(layers[0].Module);
        for (var i = 0; i < layers.Length; i++)
        {
            var (module, cout, stride, padding) = layers[i];
            var layer = new CnnLayer($"{name}.conv{i + 1}", module, input, cout, stride, padding, Shift(module, input.C, sigma));
            result[i] = layer;
            input = layer.Output;
            sigma = Math.Pow(2, module.Bits - 3);
        }
        return result;
    }

    /// <summary>
    /// A sum of Cin·K² products of independent inputs (standard deviation σx) and uniform weights has a
    /// standard deviation of √(Cin·K²)·σx·σw; shifting it down to 2^(P−3) leaves the outputs spread over
    /// the range with little saturation, and gives the next layer σx = 2^(P−3).
    /// </summary>
    private static int Shift(ConvModule module, int cin, double sigmaInput)
    {
        var terms = cin * module.KernelSize * module.KernelSize;
        var sigma = Math.Sqrt(terms) * sigmaInput * Uniform(module);
        return (int)Math.Clamp(Math.Round(Math.Log2(sigma) - (module.Bits - 3)), 0, 63);
    }

    /// <summary>Standard deviation of a uniform P-bit value, 2^(P−1)/√3.</summary>
    private static double Uniform(ConvModule module) => Math.Pow(2, module.Bits - 1) / Math.Sqrt(3);

    private static int[] Synthetic(string seed, long count, ConvModule module)
    {
        // FNV-1a of the name, then SplitMix64 (Steele, Lea, Flood 2014): the same values on every runtime.
        var state = 14695981039346656037UL;
        foreach (var c in seed)
        {
            state = (state ^ c) * 1099511628211UL;
        }
        var span = (ulong)(module.MaxValue - module.MinValue + 1);
        var values = new int[count];
        for (var i = 0; i < values.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            values[i] = (int)(module.MinValue + (long)(z % span));
        }
        return values;
    }
}
