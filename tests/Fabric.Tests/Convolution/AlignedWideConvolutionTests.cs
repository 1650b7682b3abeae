using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

/// <summary>
/// The AVX-512 int32 (and full-range int16) spatial kernel (one 512-bit load per 16 positions, column shifts in registers, even and
/// odd Int64 sums, requantized and stored straight into the output rows), checked against the reference on
/// every path the other tests iterate, so the AVX2 and portable int32 paths see the same jobs.
/// </summary>
public sealed class AlignedWideConvolutionTests
{
    private static IEnumerable<ConvKernel> Kernels() =>
        from isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }
        where ConvKernel.IsSupported(isa)
        from layout in new[] { ConvLayout.Auto, ConvLayout.Spatial }
        select new ConvKernel(2, isa, layout);

    private static int[] Extremes(Random random, long count) => Extremes(random, count, ConvModule.Resolve("conv3x3_int32"));

    /// <summary>A fifth each the module's minimum and maximum, the rest uniform over its range.</summary>
    private static int[] Extremes(Random random, long count, ConvModule module) =>
        Enumerable.Range(0, (int)count).Select(i => (i % 5) switch
        {
            0 => (int)module.MinValue,
            1 => (int)module.MaxValue,
            _ => (int)random.NextInt64(module.MinValue, module.MaxValue + 1),
        }).ToArray();

    [Fact]
    public void Odd_shapes_both_strides_paddings_and_kernel_sizes_equal_the_reference_requantized_and_raw()
    {
        // Widths put the output row end before, at and past a vector of 16 (Wout 1, 5, 15, 16, 17, 31, 33, 47 and
        // more), so rows end inside vectors, end with an overlapping vector, or are narrower than one; odd heights
        // leave a channel's last tile short of four vectors; values are a fifth each the module's min and max. The
        // int16 modules' full range takes the same kernel on AVX-512 (its pair sums exceed Int32) and saturates to 16 bits.
        var widths = new[] { 5, 9, 18, 19, 20, 21, 35, 37, 49 };
        var heights = new[] { 5, 6, 11 };
        var shifts = new[] { 0, 1, 14, 31, 32, 62, 63 };
        var names = new[] { "conv3x3_int32", "conv5x5_int32", "conv3x3_int16", "conv5x5_int16" };
        var jobs = 0;
        foreach (var name in names)
        {
            var module = ConvModule.Resolve(name);
            foreach (var (stride, padding) in new[] { (1, ConvPadding.Same), (1, ConvPadding.Valid), (2, ConvPadding.Same), (2, ConvPadding.Valid) })
            {
                foreach (var width in widths)
                {
                    var height = heights[jobs % heights.Length];
                    var cin = 1 + jobs % 2;
                    var cout = 1 + jobs % 3;
                    var input = new TensorShape(1, cin, height, width);
                    var random = new Random(jobs);
                    var x = Extremes(random, input.Count, module);
                    var w = Extremes(random, cout * cin * module.KernelSize * module.KernelSize, module);
                    long[] edges = [long.MinValue, long.MaxValue, 0, 1L << 62, -(1L << 40) - 1];
                    var bias = Enumerable.Range(0, cout).Select(i => edges[(jobs + i) % edges.Length]).ToArray();
                    var requantized = ConvProblem.Create(
                        new ConvSpec(module, stride, padding, shifts[jobs % shifts.Length], ConvOutputMode.Requantized), input, x,
                        new TensorShape(cout, cin, module.KernelSize, module.KernelSize), w, bias);
                    var raw = ConvProblem.Create(
                        new ConvSpec(module, stride, padding, 0, ConvOutputMode.Raw), input, x,
                        new TensorShape(cout, cin, module.KernelSize, module.KernelSize), w, bias);

                    var expected = ConvReference.Requantized(requantized);
                    var expectedRaw = ConvReference.Raw(raw);
                    foreach (var kernel in Kernels())
                    {
                        Assert.Equal(expected, kernel.Requantized(requantized));
                        Assert.Equal(expectedRaw, kernel.Raw(raw));
                    }
                    jobs++;
                }
            }
        }
        Assert.Equal(names.Length * 4 * widths.Length, jobs);
    }

    [Fact]
    public void Rounding_goes_half_up_and_wrapped_sums_saturate_at_the_int32_bounds()
    {
        // Only the centre weight is 1, so each output is its input under the window's centre plus the bias.
        // Shift 1: round half up (−3 → −1, 3 → 2, −1 → 0, −2 → −1, 5 → 3, −5 → −2); int32 min and max halve.
        // With bias Int64.MaxValue and shift 0, a positive input wraps the sum to a negative Int64: int32 min.
        int[] row = [-3, 3, -1, -2, 1, 2, 5, -5, int.MaxValue, int.MinValue, 0, 7, -7, 4, -4, 6, -6, 9];
        var input = new TensorShape(1, 1, 3, row.Length + 2);
        var x = new int[input.Count];
        row.CopyTo(x, input.W + 1);
        var w = new int[9];
        w[4] = 1;
        var halves = ConvProblem.Create(
            new ConvSpec(ConvModule.Resolve("conv3x3_int32"), 1, ConvPadding.Valid, 1, ConvOutputMode.Requantized), input, x,
            new TensorShape(1, 1, 3, 3), w);
        var wrapped = ConvProblem.Create(
            new ConvSpec(ConvModule.Resolve("conv3x3_int32"), 1, ConvPadding.Valid, 0, ConvOutputMode.Requantized), input, x,
            new TensorShape(1, 1, 3, 3), w, new[] { long.MaxValue });

        int[] rounded = [-1, 2, 0, -1, 1, 1, 3, -2, 1 << 30, -(1 << 30), 0, 4, -3, 2, -2, 3, -3, 5];
        var saturated = row.Select(v => v > 0 ? int.MinValue : int.MaxValue).ToArray();
        Assert.Equal(rounded, ConvReference.Requantized(halves));
        Assert.Equal(saturated, ConvReference.Requantized(wrapped));
        foreach (var kernel in Kernels())
        {
            Assert.Equal(rounded, kernel.Requantized(halves));
            Assert.Equal(saturated, kernel.Requantized(wrapped));
        }
    }

    [Fact]
    public void A_job_split_over_two_threads_equals_the_reference()
    {
        // 2 output channels of a 5x5 kernel over 240x200 (7.8 M cost units, above the one-thread threshold of
        // 4.5 M), split over both threads whether or not the helper is running at that moment.
        var module = ConvModule.Resolve("conv5x5_int32");
        var input = new TensorShape(1, 1, 240, 200);
        var random = new Random(5);
        var x = Extremes(random, input.Count);
        var w = Extremes(random, 2 * 25);
        var problem = ConvProblem.Create(
            new ConvSpec(module, 1, ConvPadding.Same, 33, ConvOutputMode.Requantized), input, x, new TensorShape(2, 1, 5, 5), w, new[] { -7, 1L << 50 });

        var expected = ConvReference.Requantized(problem);
        Assert.Contains(expected, v => v > int.MinValue && v < int.MaxValue);
        WorkSplit.SplitAlways = true;
        try
        {
            foreach (var kernel in Kernels())
            {
                Assert.Equal(expected, kernel.Requantized(problem));
            }
        }
        finally
        {
            WorkSplit.SplitAlways = false;
        }
    }
}
