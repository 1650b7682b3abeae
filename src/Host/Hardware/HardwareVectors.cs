using System.Globalization;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;

namespace Dpr.Host.Hardware;

/// <summary>
/// Test vectors for the Verilog RMs, computed by <see cref="ConvReference"/>: per module a list of
/// jobs (random and extreme values, both paddings, strides 1 and 2, both output modes, back-to-back
/// frames, stream stalls), single-channel ones programmed as register map 1.0 and multi-channel ones
/// whose channel counts are not multiples of the module's parallelism, written as 64-bit hex words
/// that <c>$readmemh</c> reads.
/// The layout is in docs/hardware.md ("Test vectors") and hardware/tb/tb_conv.v.
/// </summary>
public static class HardwareVectors
{
    public const int DefaultSeed = 20240611;

    /// <summary>CAPS.MAX_WIDTH of an RM: its line-buffer words (conv_rm's LB_DEPTH), 2048 minus K − 1.</summary>
    public static int MaxWidth(int kernelSize) => ConvRegisterMap.MaxWidth(kernelSize);

    public static IReadOnlyList<HardwareVectorCase> Cases(ConvModule module, int seed = DefaultSeed)
    {
        ArgumentNullException.ThrowIfNull(module);
        var k = module.KernelSize;
        var p = module.Bits;
        // One stream per module so that adding a module does not change the others' vectors.
        var random = new Random(seed ^ (k * 1000 + p));
        var cases = new List<HardwareVectorCase>();
        var min = module.MinValue;
        var max = module.MaxValue;
        long Any() => random.NextInt64(min, max + 1);
        long Extreme() => new[] { min, max, -1, 0, 1, min + 1, max - 1 }[random.Next(7)];
        long Small() => random.Next(-3, 4);
        // A shift near P + log2(K*K) keeps random sums mostly in range, with some saturating.
        int Shift() => random.Next(p - 2, p + 5);
        long Bias() => random.NextInt64(-(1L << (2 * p - 2)), 1L << (2 * p - 2));
        long AnyLong() => random.NextInt64(long.MinValue, long.MaxValue);

        void Add(string what, int h, int w, int n, int stride, ConvPadding padding, ConvOutputMode output,
            int shift, long bias, Func<long> x, Func<long> weight, StreamStalls stalls) =>
            AddChannels(what, h, w, n, 1, 1, stride, padding, output, shift, bias, x, weight, stalls);

        void AddChannels(string what, int h, int w, int n, int cin, int cout, int stride, ConvPadding padding,
            ConvOutputMode output, int shift, long bias, Func<long> x, Func<long> weight, StreamStalls stalls)
        {
            var spec = new ConvSpec(module, stride, padding, shift, output);
            var inputShape = new TensorShape(n, cin, h, w);
            var input = Enumerable.Range(0, (int)inputShape.Count).Select(_ => (int)x()).ToArray();
            var weights = Enumerable.Range(0, cout * cin * k * k).Select(_ => (int)weight()).ToArray();
            var biases = Enumerable.Range(0, cout).Select(c => c == 0 ? bias : Bias()).ToArray();
            var problem = ConvProblem.Create(spec, inputShape, input, new TensorShape(cout, cin, k, k), weights, biases);
            cases.Add(new HardwareVectorCase(cases.Count + 1, what, problem, stalls));
        }

        const ConvPadding valid = ConvPadding.Valid, same = ConvPadding.Same;
        const ConvOutputMode requantized = ConvOutputMode.Requantized, raw = ConvOutputMode.Raw;
        Add("random", 8, 8, 1, 1, valid, requantized, Shift(), Bias(), Any, Any, StreamStalls.None);
        Add("random, two frames", 9, 7, 2, 1, same, requantized, Shift(), Bias(), Any, Any, StreamStalls.Output);
        Add("random", 11, 10, 1, 2, valid, raw, 0, AnyLong(), Any, Any, StreamStalls.Output | StreamStalls.Input);
        Add("random, two frames", 10, 9, 2, 2, same, raw, 0, AnyLong(), Any, Any, StreamStalls.Input);
        Add("random", 12, 12, 1, 2, same, requantized, Shift(), Bias(), Any, Any, StreamStalls.Output | StreamStalls.Input);
        Add("random, three frames", 7, 13, 3, 2, valid, requantized, Shift(), Bias(), Any, Any, StreamStalls.None);
        Add("all minimum, wraps for int32", 6, 6, 1, 1, same, raw, 0, long.MaxValue, () => min, () => min, StreamStalls.Output);
        Add("saturation both ways", 8, 8, 1, 1, valid, requantized, 0, 0, () => random.Next(2) == 0 ? min : max, () => max, StreamStalls.None);
        Add("extremes, shift 63", 9, 9, 1, 2, same, requantized, 63, long.MinValue + random.Next(1 << 20), Extreme, Extreme, StreamStalls.Output | StreamStalls.Input);
        Add("extremes, random shift", 9, 8, 2, 1, valid, requantized, random.Next(0, 64), AnyLong(), Extreme, Extreme, StreamStalls.Output);
        Add("round half up", 8, 10, 1, 1, same, requantized, random.Next(1, 3), random.Next(-4, 5), Small, Small, StreamStalls.None);
        Add("1x1 image, two frames", 1, 1, 2, 1, same, requantized, 1, -1, Any, Any, StreamStalls.Output);
        Add("kernel-sized image, two frames", k, k, 2, 1, valid, raw, 0, AnyLong(), Any, Any, StreamStalls.None);
        Add("one row of windows", k, 20, 1, 2, valid, requantized, Shift(), Bias(), Any, Any, StreamStalls.Output | StreamStalls.Input);
        Add("largest", 20, 20, 1, 1, same, requantized, Shift(), Bias(), Any, Any, StreamStalls.Output);
        Add("largest, raw", 17, 19, 1, 2, same, raw, 0, 0, Any, Any, StreamStalls.None);
        // The widest image the line buffer takes (CAPS.MAX_WIDTH): the padded row fills all its words.
        Add("widest image", 2, MaxWidth(k), 1, 1, same, requantized, Shift(), Bias(), Any, Any, StreamStalls.Output);

        // Multi-channel passes: channel counts that are not multiples of PI (a partial last chunk) and
        // groups smaller than PO; a sum over cin channels needs about log2(cin) more shift.
        var lanes = ConvParallelism.For(module);
        var (pi, po) = (lanes.InputLanes, lanes.OutputLanes);
        var fewer = Math.Max(1, po - 1);
        int ShiftFor(int cin) => Shift() + (int)Math.Ceiling(Math.Log2(cin));
        AddChannels("channels, random", 6, 7, 1, 2 * pi + 1, po, 1, same, requantized, ShiftFor(2 * pi + 1), Bias(), Any, Any, StreamStalls.None);
        AddChannels("channels, two frames, smaller group", 8, 6, 2, 7, fewer, 2, valid, raw, 0, AnyLong(), Any, Any, StreamStalls.Output | StreamStalls.Input);
        AddChannels("channels, stride 2", 7, 7, 1, pi + 1, po, 2, same, requantized, ShiftFor(pi + 1), Bias(), Any, Any, StreamStalls.Output);
        AddChannels("channels, saturation both ways", k + 2, 9, 1, 9, po, 1, valid, requantized, 0, 0, () => random.Next(2) == 0 ? min : max, () => max, StreamStalls.None);
        AddChannels("channels, all minimum, wraps for int32", 6, 6, 1, 3, po, 1, same, raw, 0, long.MaxValue, () => min, () => min, StreamStalls.Input);
        AddChannels("channels, extremes, shift 63", 6, 5, 1, 2 * pi + 1, 1, 1, same, requantized, 63, long.MinValue + random.Next(1 << 20), Extreme, Extreme, StreamStalls.Output | StreamStalls.Input);
        AddChannels("channels, round half up", 5, 6, 1, 3 * pi - 1, po, 1, same, requantized, random.Next(1, 3), random.Next(-4, 5), Small, Small, StreamStalls.None);
        AddChannels("channels, a CNN layer's shape", 8, 8, 1, 16, po, 1, same, requantized, ShiftFor(16), Bias(), Any, Any, StreamStalls.None);
        // Stride 2 through conv3x3_int16's row slots: channel counts that leave a partial last slot word
        // (64/P channels a word), both paddings, odd and even widths, saturation, the widest image.
        AddChannels("channels, stride 2, partial slot word", 9, 10, 2, 9, po, 2, same, requantized, ShiftFor(9), Bias(), Any, Any, StreamStalls.Output | StreamStalls.Input);
        AddChannels("channels, stride 2, valid, odd width", 10, 11, 1, 6, fewer, 2, valid, raw, 0, AnyLong(), Any, Any, StreamStalls.Input);
        AddChannels("channels, stride 2, saturation both ways", k + 3, 8, 1, 5, po, 2, valid, requantized, 0, 0, () => random.Next(2) == 0 ? min : max, () => max, StreamStalls.None);
        Add("widest image, stride 2", k + 1, MaxWidth(k), 1, 2, same, requantized, Shift(), Bias(), Any, Any, StreamStalls.Output);
        AddChannels("channels, stride 2, a CNN layer's shape", 10, 10, 1, 16, po, 2, same, requantized, ShiftFor(16), Bias(), Any, Any, StreamStalls.None);
        AddChannels("channels, stride 2, valid, few channels", 9, 9, 2, 3, po, 2, valid, raw, 0, AnyLong(), Any, Any, StreamStalls.None);
        return cases;
    }

    /// <summary>Writes one file per module, <c>DIR/convKxK_intP.hex</c>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(DirectoryInfo directory, int seed = DefaultSeed)
    {
        ArgumentNullException.ThrowIfNull(directory);
        directory.Create();
        var paths = new List<string>();
        foreach (var module in ConvModule.All)
        {
            var path = Path.Combine(directory.FullName, $"{module.Name}.hex");
            using var writer = new StreamWriter(path) { NewLine = "\n" };
            Write(writer, module, Cases(module, seed), seed);
            paths.Add(path);
        }
        return paths;
    }

    public static void Write(TextWriter writer, ConvModule module, IReadOnlyList<HardwareVectorCase> cases, int seed)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(cases);
        writer.WriteLine($"// dpr hardware vectors: {module.Name}, {cases.Count} cases, seed {seed}, from ConvReference");
        Word(writer, cases.Count);
        foreach (var c in cases)
        {
            var problem = c.Problem;
            var spec = problem.Spec;
            var input = problem.InputShape;
            var output = problem.OutputShape;
            var single = input.C == 1 && output.C == 1;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// case {c.Number}: {c.Description}; {input.H}x{input.W} N={input.N} Cin={input.C} Cout={output.C} stride {spec.Stride} {spec.Padding} {spec.Output} shift {spec.Shift} stalls {c.Stalls}"));
            Word(writer, c.Number);
            Word(writer, input.W);
            Word(writer, input.H);
            Word(writer, input.N);
            Word(writer, spec.Stride);
            Word(writer, spec.Padding == ConvPadding.Same ? 1 : 0);
            Word(writer, spec.Output == ConvOutputMode.Raw ? 1 : 0);
            Word(writer, spec.Shift);
            Word(writer, (long)c.Stalls);
            Word(writer, output.W);
            Word(writer, output.H);
            Word(writer, input.C);
            Word(writer, output.C);
            // Single-channel cases program the module as register map 1.0 did (WEIGHT and BIAS_LO/HI).
            Word(writer, single ? 1 : 0);
            writer.WriteLine("// bias per output channel");
            for (var ch = 0; ch < output.C; ch++)
            {
                Word(writer, problem.Bias.IsEmpty ? 0 : problem.Bias.Span[ch]);
            }
            writer.WriteLine("// weights [Cout, Cin, K, K]");
            foreach (var w in problem.Weights.Span)
            {
                Word(writer, w);
            }
            writer.WriteLine("// input, NHWC");
            var x = problem.Input.Span;
            for (var n = 0; n < input.N; n++)
            {
                for (var r = 0; r < input.H; r++)
                {
                    for (var col = 0; col < input.W; col++)
                    {
                        for (var ch = 0; ch < input.C; ch++)
                        {
                            Word(writer, x[input.Index(n, ch, r, col)]);
                        }
                    }
                }
            }
            writer.WriteLine("// expected output, NHWC");
            var expected = spec.Output == ConvOutputMode.Raw
                ? ConvReference.Raw(problem)
                : ConvReference.Requantized(problem).Select(v => (long)v).ToArray();
            for (var n = 0; n < output.N; n++)
            {
                for (var r = 0; r < output.H; r++)
                {
                    for (var col = 0; col < output.W; col++)
                    {
                        for (var ch = 0; ch < output.C; ch++)
                        {
                            Word(writer, expected[output.Index(n, ch, r, col)]);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Two's complement, 16 hex digits: one <c>reg [63:0]</c> word of <c>$readmemh</c>.</summary>
    private static void Word(TextWriter writer, long value) =>
        writer.WriteLine(unchecked((ulong)value).ToString("X16", CultureInfo.InvariantCulture));
}
