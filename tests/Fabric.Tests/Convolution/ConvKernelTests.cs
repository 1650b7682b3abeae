using Dpr.Fabric.Convolution;
using FsCheck;
using FsCheck.Fluent;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class ConvKernelTests
{
    public static IEnumerable<object[]> Paths =>
        from isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }
        from layout in new[] { ConvLayout.Spatial, ConvLayout.Channel }
        select new object[] { isa, layout };

    private static bool SameAsReference(ConvKernel kernel, ConvCase c)
    {
        var problem = c.Problem();
        return problem.Spec.Output == ConvOutputMode.Raw
            ? ConvReference.Raw(problem).SequenceEqual(kernel.Raw(problem))
            : ConvReference.Requantized(problem).SequenceEqual(kernel.Requantized(problem));
    }

    [Fact]
    public void Auto_picks_the_widest_path_this_cpu_has()
    {
        var kernel = new ConvKernel(2);

        Assert.True(ConvKernel.IsSupported(kernel.Isa));
        Assert.NotEqual(ConvIsa.Auto, kernel.Isa);
        Assert.Equal(2, kernel.Threads);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void Every_path_equals_the_reference_on_random_jobs(ConvIsa isa, ConvLayout layout)
    {
        if (!ConvKernel.IsSupported(isa))
        {
            Assert.Throws<PlatformNotSupportedException>(() => new ConvKernel(2, isa, layout));
            return;
        }
        var kernel = new ConvKernel(2, isa, layout);

        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(120).WithQuietOnSuccess(true),
            Prop.ForAll(ConvCase.Arbitrary(), c => SameAsReference(kernel, c)));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    internal void Every_path_equals_the_reference_on_a_job_large_enough_for_two_threads(ConvIsa isa, ConvLayout layout)
    {
        if (!ConvKernel.IsSupported(isa))
        {
            return;
        }
        var kernel = new ConvKernel(2, isa, layout);
        foreach (var module in ConvModule.All)
        {
            var random = new Random(module.Bits * 10 + module.KernelSize);
            var input = new TensorShape(1, 6, 30, 29);
            var x = Enumerable.Range(0, (int)input.Count).Select(_ => (int)random.NextInt64(module.MinValue, module.MaxValue + 1)).ToArray();
            var w = Enumerable.Range(0, 7 * 6 * module.KernelSize * module.KernelSize).Select(_ => (int)random.NextInt64(module.MinValue, module.MaxValue + 1)).ToArray();
            var problem = ConvProblem.Create(
                new ConvSpec(module, 1, ConvPadding.Same, module.Bits, ConvOutputMode.Requantized), input, x,
                new TensorShape(7, 6, module.KernelSize, module.KernelSize), w, Enumerable.Range(0, 7).Select(i => (long)i * 1000).ToArray());

            Assert.True(problem.MultiplyAccumulates > 1 << 17);
            Assert.Equal(ConvReference.Requantized(problem), kernel.Requantized(problem));
        }
    }

    /// <summary>Every supported path that can run the job: each instruction set under each layout.</summary>
    private static IEnumerable<ConvKernel> Kernels() =>
        from isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }
        where ConvKernel.IsSupported(isa)
        from layout in new[] { ConvLayout.Spatial, ConvLayout.Channel }
        select new ConvKernel(2, isa, layout);

    [Fact]
    public void Int8_with_more_channels_than_an_int32_lane_can_hold_flushes_exactly()
    {
        // 4400 channels of (-128)·(-128) over a 5x5 kernel: 4400·25·16384 = 1.8e9 > 2^31 − 1 per output.
        var module = ConvModule.Resolve("conv5x5_int8");
        var input = new TensorShape(1, 4400, 5, 6);
        var x = Enumerable.Repeat(-128, (int)input.Count).ToArray();
        var w = Enumerable.Repeat(-128, 4400 * 25).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(1, 4400, 5, 5), w);

        foreach (var kernel in Kernels())
        {
            Assert.Equal([4400L * 25 * 16384, 4400L * 25 * 16384], kernel.Raw(problem));
        }
        Assert.Equal(ConvReference.Raw(problem), new ConvKernel(2).Raw(problem));
    }

    [Fact]
    public void Int8_channel_steps_flush_after_exactly_as_many_pair_sums_as_an_int32_lane_holds()
    {
        // A pair sum of (-128)·(-128) twice is 2^15, so a lane holds 65535 steps; 3·3·7290 pairs = 65610 steps
        // per output, all at the extreme, cross that boundary: one more step per chunk would wrap.
        var module = ConvModule.Resolve("conv3x3_int8");
        var input = new TensorShape(1, 14580, 3, 3);
        var x = Enumerable.Repeat(-128, (int)input.Count).ToArray();
        var w = Enumerable.Repeat(-128, (int)input.Count).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(1, 14580, 3, 3), w);

        foreach (var kernel in Kernels())
        {
            Assert.Equal([14580L * 9 * 16384], kernel.Raw(problem));
        }
    }

    [Fact]
    public void Int16_single_pass_flushes_at_the_step_bound_its_values_allow()
    {
        // |x|, |w| ≤ 2048: a pair sum is at most 2^23, so a lane holds 255 steps (256 would reach 2^31).
        // 60 channels × 9 taps = 270 steps per output at the extreme, 60·9·2^22 = 2.3e9 in all.
        var module = ConvModule.Resolve("conv3x3_int16");
        var input = new TensorShape(1, 60, 3, 5);
        var x = Enumerable.Repeat(-2048, (int)input.Count).ToArray();
        var w = Enumerable.Repeat(-2048, 2 * 60 * 9).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(2, 60, 3, 3), w);

        var expected = Enumerable.Repeat(60L * 9 * 2048 * 2048, 6).ToArray();
        foreach (var kernel in Kernels())
        {
            Assert.Equal(expected, kernel.Raw(problem));
        }
        Assert.Equal(ConvReference.Raw(problem), expected);
    }

    [Fact]
    public void Four_channel_tiles_store_their_first_flush_and_add_every_later_digit_and_chunk()
    {
        // Full-range int16 with a −32768 input: two digit passes, each over two chunks of channels (40 channels,
        // 21 per chunk at the low digit's bound), for two blocks of four output channels over many tiles, so a
        // tile's sums are stored once and added three times, and every tile reuses sums another one left.
        var module = ConvModule.Resolve("conv3x3_int16");
        var random = new Random(20);
        var input = new TensorShape(1, 40, 9, 70);
        var x = Enumerable.Range(0, (int)input.Count).Select(_ => random.Next(-32768, 32768)).ToArray();
        x[5] = -32768;
        var w = Enumerable.Range(0, 8 * 40 * 9).Select(_ => random.Next(-32768, 32768)).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Same, 0, ConvOutputMode.Raw), input, x, new TensorShape(8, 40, 3, 3), w);

        var reference = ConvReference.Raw(problem);
        foreach (var kernel in Kernels())
        {
            Assert.Equal(reference, kernel.Raw(problem));
        }
    }

    [Fact]
    public void Int16_digits_flush_at_the_low_digit_bound()
    {
        // One −32768 forces the 8-bit digit split. The low digit of 255 times −32768, twice per pair, is
        // 2·255·32768 = 16711680 per step: a lane holds 128 steps (129 would pass 2^31 − 1); 30 channels ×
        // 9 taps = 135 steps. Output 0 never sees the −32768 and so sums only extreme low digits.
        var module = ConvModule.Resolve("conv3x3_int16");
        var input = new TensorShape(1, 30, 3, 4);
        var x = Enumerable.Repeat(255, (int)input.Count).ToArray();
        x[3] = -32768;
        var w = Enumerable.Repeat(-32768, 30 * 9).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(1, 30, 3, 3), w);

        var reference = ConvReference.Raw(problem);
        Assert.Equal(30L * 9 * 255 * -32768, reference[0]);
        foreach (var kernel in Kernels())
        {
            Assert.Equal(reference, kernel.Raw(problem));
        }
    }

    [Fact]
    public void Int16_split_pair_sums_stay_exact_at_the_largest_pair_sum_over_more_than_a_chunk()
    {
        // Inputs −32768, weights −32768 and −32767 alternating so that no pair (over channels or over kx)
        // is (−32768, −32768): every pair sum is 2^31 − 32768, the largest an Int32 lane can hold, whose
        // high and low 16 bits are both extreme. 14564 channels × 9 taps = 65538 pair-steps per output in
        // the channel layout (over 65535, one flush), 131076 products in the spatial one.
        var module = ConvModule.Resolve("conv3x3_int16");
        var input = new TensorShape(1, 14564, 3, 3);
        var x = Enumerable.Repeat(-32768, (int)input.Count).ToArray();
        var w = Enumerable.Range(0, (int)input.Count).Select(i => (i / 9 + i % 3) % 2 == 0 ? -32768 : -32767).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(1, 14564, 3, 3), w);

        var expected = w.Sum(v => -32768L * v);
        Assert.Equal([expected], ConvReference.Raw(problem));
        foreach (var kernel in Kernels())
        {
            Assert.Equal([expected], kernel.Raw(problem));
        }
    }

    [Fact]
    public void Int16_split_pair_sums_flush_before_their_low_halves_pass_2_to_the_32()
    {
        // Ones times weight pairs (−32768, 32767) give pair sums of −1, whose low 16 bits (65535) are the
        // largest: 65538 of them sum to more than 2^32, so a chunk of 65538 steps would lose 2^32. Output 0
        // sees 14564 channels × 9 taps = 65538 such steps; the −32768 input of output 1 forces the full range.
        var module = ConvModule.Resolve("conv3x3_int16");
        var input = new TensorShape(1, 14564, 3, 4);
        var x = Enumerable.Repeat(1, (int)input.Count).ToArray();
        x[3] = -32768;
        var w = Enumerable.Range(0, 14564 * 9).Select(i => (i / 9 + i % 3) % 2 == 0 ? -32768 : 32767).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(1, 14564, 3, 3), w);

        var reference = ConvReference.Raw(problem);
        Assert.Equal(w.Sum(v => (long)v), reference[0]);
        foreach (var kernel in Kernels())
        {
            Assert.Equal(reference, kernel.Raw(problem));
        }
    }

    [Fact]
    public void Int16_pair_sums_of_2_to_the_31_fall_back_to_digits()
    {
        // (−32768)·(−32768) twice is 2^31, which an Int32 lane reads as −2^31: split pair sums must not be used.
        var module = ConvModule.Resolve("conv3x3_int16");
        var input = new TensorShape(1, 4, 3, 3);
        var x = Enumerable.Repeat(-32768, (int)input.Count).ToArray();
        var w = Enumerable.Repeat(-32768, (int)input.Count).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw), input, x, new TensorShape(1, 4, 3, 3), w);

        foreach (var kernel in Kernels())
        {
            Assert.Equal([4L * 9 * (1L << 30)], kernel.Raw(problem));
        }
    }

    [Fact]
    public void A_job_run_by_every_path_in_turn_gets_each_path_its_own_packed_weights()
    {
        // The packed weights are kept with the job; each layout and lane width must find its own.
        var module = ConvModule.Resolve("conv3x3_int16");
        var random = new Random(7);
        var input = new TensorShape(1, 5, 9, 17);
        var x = Enumerable.Range(0, (int)input.Count).Select(_ => random.Next(-32768, 32768)).ToArray();
        var w = Enumerable.Range(0, 20 * 5 * 9).Select(_ => random.Next(-32768, 32768)).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 2, ConvPadding.Same, 9, ConvOutputMode.Requantized), input, x, new TensorShape(20, 5, 3, 3), w);
        var reference = ConvReference.Requantized(problem);

        foreach (var kernel in Kernels().Concat(Kernels()))
        {
            Assert.Equal(reference, kernel.Requantized(problem));
        }
    }

    [Fact]
    public void A_three_channel_int16_first_layer_pairs_window_values_across_pixels_and_channels()
    {
        // 3 channels × 3 taps = 9 values per window row: 5 pair steps per row, the last pairing the row's
        // ninth value with the next pixel's first (times a zero weight), and for the last pixel of the image
        // with the packed image's slack. Full-range values with extremes (split sums in one pass), a bias
        // and a shift (finished in registers), 20 output channels (a partial block) and 7x9 positions (a
        // partial tile), on every path and on the default kernel.
        var module = ConvModule.Resolve("conv3x3_int16");
        var random = new Random(3);
        var input = new TensorShape(2, 3, 7, 9);
        var x = Enumerable.Range(0, (int)input.Count).Select(i => i % 11 == 0 ? -32768 : i % 13 == 0 ? 32767 : random.Next(-32768, 32768)).ToArray();
        var w = Enumerable.Range(0, 20 * 27).Select(i => i % 7 == 0 ? 32767 : random.Next(-32768, 32768)).ToArray();
        var bias = Enumerable.Range(0, 20).Select(i => (long)(i - 10) * 987654321).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Same, 17, ConvOutputMode.Requantized), input, x, new TensorShape(20, 3, 3, 3), w, bias);

        Assert.Equal(15, ChannelGeometry.Of(problem, 16, ChannelPairPacking.PerElement).Steps);
        var reference = ConvReference.Requantized(problem);
        foreach (var kernel in Kernels().Append(new ConvKernel(2)))
        {
            Assert.Equal(reference, kernel.Requantized(problem));
        }
    }

    [Fact]
    public void Int32_extremes_wrap_like_the_reference()
    {
        var module = ConvModule.Resolve("conv3x3_int32");
        var input = new TensorShape(1, 3, 4, 20);
        var x = Enumerable.Range(0, (int)input.Count).Select(i => i % 3 == 0 ? int.MaxValue : int.MinValue).ToArray();
        var w = Enumerable.Range(0, 2 * 27).Select(i => i % 2 == 0 ? int.MinValue : int.MaxValue).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Same, 0, ConvOutputMode.Raw), input, x, new TensorShape(2, 3, 3, 3), w, new[] { long.MaxValue, long.MinValue });

        Assert.Equal(ConvReference.Raw(problem), new ConvKernel(1).Raw(problem));
    }

    [Fact]
    public void Jobs_of_one_to_three_output_channels_finish_their_tiles_in_registers_exactly()
    {
        // Requantized in one pass, so each vector is rounded and saturated in registers and only its valid
        // columns are copied out: odd widths put row ends inside vectors, both strides and paddings move
        // them, biases and shifts saturate both ways, and the large image runs on two threads.
        var shapes = new[] { new TensorShape(1, 1, 23, 37), new TensorShape(2, 2, 9, 17), new TensorShape(1, 1, 97, 301) };
        foreach (var module in ConvModule.All)
        {
            foreach (var input in shapes)
            {
                foreach (var (cout, stride, padding) in new[] { (1, 1, ConvPadding.Same), (2, 2, ConvPadding.Valid), (3, 2, ConvPadding.Same), (3, 1, ConvPadding.Valid) })
                {
                    var random = new Random(module.Bits * 1000 + module.KernelSize * 100 + cout * 10 + stride);
                    var x = Enumerable.Range(0, (int)input.Count).Select(_ => (int)random.NextInt64(module.MinValue, module.MaxValue + 1)).ToArray();
                    x[0] = (int)module.MinValue;
                    var k = module.KernelSize;
                    var w = Enumerable.Range(0, cout * input.C * k * k).Select(_ => (int)random.NextInt64(module.MinValue, module.MaxValue + 1)).ToArray();
                    var bias = new[] { 12345, long.MaxValue / 2, long.MinValue / 2 }[..cout];
                    var problem = ConvProblem.Create(
                        new ConvSpec(module, stride, padding, module.Bits - 1 + cout, ConvOutputMode.Requantized), input, x,
                        new TensorShape(cout, input.C, k, k), w, bias);

                    var reference = ConvReference.Requantized(problem);
                    Assert.Contains(reference, v => v > module.MinValue && v < module.MaxValue);
                    // int32 sums wrap modulo 2^64, so only int8/int16 are sure to saturate on their large biases.
                    Assert.True(cout < 2 || module.Bits == 32 || reference.Contains((int)module.MaxValue));
                    Assert.True(cout < 3 || module.Bits == 32 || reference.Contains((int)module.MinValue));
                    foreach (var kernel in Kernels())
                    {
                        Assert.Equal(reference, kernel.Requantized(problem));
                    }
                }
            }
        }
    }

    [Fact]
    public void Channel_layout_packs_whole_channel_and_column_blocks_and_the_rest_exactly()
    {
        // Channel counts that fill the transposed blocks (8 Int16, 4 Int32) or only some (12: the Int32 ones),
        // widths with and without a remainder, both paddings and strides, and int16 weights all −32768 with a
        // −32768 input, which forces the two 8-bit digits (masked low bytes, shifted high bytes).
        foreach (var module in ConvModule.All)
        {
            foreach (var input in new[] { new TensorShape(1, 8, 7, 8), new TensorShape(2, 16, 6, 19), new TensorShape(1, 12, 5, 13), new TensorShape(1, 32, 9, 9) })
            {
                foreach (var (stride, padding) in new[] { (1, ConvPadding.Same), (2, ConvPadding.Valid), (2, ConvPadding.Same) })
                {
                    var random = new Random(module.Bits * 100 + input.C * 10 + stride);
                    var k = module.KernelSize;
                    var extreme = module.Bits == 16 && input.C == 16;
                    var x = Enumerable.Range(0, (int)input.Count).Select(_ => (int)random.NextInt64(module.MinValue, module.MaxValue + 1)).ToArray();
                    x[1] = (int)module.MinValue;
                    var w = Enumerable.Range(0, 16 * input.C * k * k).Select(_ => extreme ? (int)module.MinValue : (int)random.NextInt64(module.MinValue, module.MaxValue + 1)).ToArray();
                    var problem = ConvProblem.Create(
                        new ConvSpec(module, stride, padding, 0, ConvOutputMode.Raw), input, x, new TensorShape(16, input.C, k, k), w);

                    var reference = ConvReference.Raw(problem);
                    foreach (var isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.Avx512 }.Where(ConvKernel.IsSupported))
                    {
                        Assert.Equal(reference, new ConvKernel(2, isa, ConvLayout.Channel).Raw(problem));
                    }
                }
            }
        }
    }

    [Fact]
    public void Split_pair_sums_requantize_in_int32_exactly_at_the_shift_and_bias_bounds()
    {
        // Full-range int16 split sums requantized in Int32 (SplitBias): shift 16, the smallest it takes, up
        // to 30; biases at the largest it takes at s = 16, and 2^45, which falls back to Int64; few and
        // many output channels (spatial finish and channel tiles) over odd sizes, both strides and paddings.
        var module = ConvModule.Resolve("conv3x3_int16");
        foreach (var input in new[] { new TensorShape(1, 3, 13, 11), new TensorShape(2, 5, 9, 18) })
        {
            foreach (var (cout, shift, stride, padding) in new[] { (2, 16, 1, ConvPadding.Same), (3, 17, 2, ConvPadding.Valid), (20, 16, 1, ConvPadding.Valid), (32, 30, 2, ConvPadding.Same) })
            {
                var random = new Random(cout * 100 + shift + input.C);
                var x = Enumerable.Range(0, (int)input.Count).Select(_ => random.Next(-32768, 32768)).ToArray();
                x[0] = -32768;
                var w = Enumerable.Range(0, cout * input.C * 9).Select(i => i % 2 == 0 ? -32767 : random.Next(-32768, 32768)).ToArray();
                long[] edges = [0, (1L << 45) - (1L << 15) - 1, -(1L << 45) + (1L << 15), -1, 65535, -65536];
                var bias = Enumerable.Range(0, cout).Select(i => edges[i % edges.Length]).ToArray();
                if (cout == 32)
                {
                    bias[31] = 1L << 45;
                }
                var problem = ConvProblem.Create(
                    new ConvSpec(module, stride, padding, shift, ConvOutputMode.Requantized), input, x, new TensorShape(cout, input.C, 3, 3), w, bias);

                var reference = ConvReference.Requantized(problem);
                Assert.Contains(reference, v => v > short.MinValue && v < short.MaxValue);
                foreach (var kernel in Kernels())
                {
                    Assert.Equal(reference, kernel.Requantized(problem));
                }
            }
        }
    }

    [Fact]
    public void Split_pair_sums_requantize_in_int32_exactly_at_the_step_bound()
    {
        // 7281 channels: 3 rows of ⌈3·7281 / 2⌉ = 10922 pair steps, 32766 in all (the bound is 2^15), every pair
        // sum 2^31 − 32768 or close: the high sum is near 2^30 and the bias adds nearly 2^45, so the Int32 sum
        // A = high + bh + … is near its headroom; the sum needs the shift of 32 to land inside int16.
        var module = ConvModule.Resolve("conv3x3_int16");
        var input = new TensorShape(1, 7281, 3, 3);
        var x = Enumerable.Repeat(-32768, (int)input.Count).ToArray();
        var w = Enumerable.Range(0, 16 * (int)input.Count).Select(i => i % 2 == 0 ? -32768 : -32767).ToArray();
        var bias = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? (1L << 45) - (1L << 32) : -(1L << 45) + (1L << 32)).ToArray();
        var problem = ConvProblem.Create(
            new ConvSpec(module, 1, ConvPadding.Valid, 32, ConvOutputMode.Requantized), input, x, new TensorShape(16, 7281, 3, 3), w, bias);

        var reference = ConvReference.Requantized(problem);
        Assert.All(reference, v => Assert.InRange(v, short.MinValue + 1, short.MaxValue - 1));
        foreach (var isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.Avx512 }.Where(ConvKernel.IsSupported))
        {
            Assert.Equal(reference, new ConvKernel(2, isa, ConvLayout.Channel).Requantized(problem));
        }
    }

    [Fact]
    public void Jobs_split_over_two_threads_with_several_channel_blocks_equal_the_reference_on_every_path()
    {
        // Both above the one-thread threshold (4.5 M work) and split whether or not the helper runs, so grains start
        // inside a channel block: int16 16→40 channels over 40x40 (the channel layout's item walk, 3 blocks, a partial
        // one) and int8 1→9 channels over 200x200 (the spatial layout's block-major items, Int32-finished 4-channel
        // blocks and a 1-channel one). Full-range values; the bias pushes some outputs into saturation.
        var cases = new[]
        {
            ConvCases.Problem("conv3x3_int16", new TensorShape(1, 16, 40, 40), 40, i => (int)((i * 2654435761L) % 65536) - 32768,
                i => (int)((i * 40503L) % 65536) - 32768, 1, ConvPadding.Same, 20, ConvOutputMode.Requantized,
                Enumerable.Range(0, 40).Select(i => (i - 20) * (1L << 30)).ToArray()),
            ConvCases.Problem("conv5x5_int8", new TensorShape(1, 1, 200, 200), 9, i => (int)((i * 2654435761L) % 256) - 128,
                i => (i * 37 % 256) - 128, 1, ConvPadding.Same, 9, ConvOutputMode.Requantized,
                Enumerable.Range(0, 9).Select(i => (i - 4) * 100_000L).ToArray()),
        };
        WorkSplit.SplitAlways = true;
        try
        {
            foreach (var problem in cases)
            {
                var expected = ConvReference.Requantized(problem);
                Assert.Contains(expected, v => v > problem.Spec.Module.MinValue && v < problem.Spec.Module.MaxValue);
                foreach (var isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }.Where(ConvKernel.IsSupported))
                {
                    Assert.Equal(expected, new ConvKernel(2, isa).Requantized(problem));
                }
            }
        }
        finally
        {
            WorkSplit.SplitAlways = false;
        }
    }

    [Fact]
    public void Three_channel_images_packed_sixteen_columns_at_a_time_equal_the_reference_on_every_path()
    {
        // Rows of 37 and 16 columns (two blocks of 16 and a scalar rest; exactly one block), 3 input channels in
        // the channel layout: full-range int16 in one pass (split sums), in two 8-bit digits (every weight −32768
        // with −32768 inputs, where a pair sum reaches 2^31), and int8; both strides, requantized and raw.
        var cases = new[]
        {
            ConvCases.Problem("conv3x3_int16", new TensorShape(1, 3, 9, 37), 20, i => (int)((i * 2654435761L) % 65536) - 32768,
                i => (int)((i * 40503L) % 65536) - 32768, 1, ConvPadding.Same, 18, ConvOutputMode.Requantized),
            ConvCases.Problem("conv3x3_int16", new TensorShape(1, 3, 7, 16), 16, i => i % 3 == 0 ? -32768 : 32767 - i,
                _ => -32768, 2, ConvPadding.Same, 0, ConvOutputMode.Raw),
            ConvCases.Problem("conv5x5_int8", new TensorShape(1, 3, 11, 37), 32, i => (int)((i * 2654435761L) % 256) - 128,
                i => (i * 37 % 256) - 128, 1, ConvPadding.Valid, 9, ConvOutputMode.Requantized, Enumerable.Range(0, 32).Select(i => i * 1000L).ToArray()),
        };
        foreach (var isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }.Where(ConvKernel.IsSupported))
        {
            var kernel = new ConvKernel(2, isa, ConvLayout.Channel);
            Assert.Equal(ConvReference.Requantized(cases[0]), kernel.Requantized(cases[0]));
            Assert.Equal(ConvReference.Raw(cases[1]), kernel.Raw(cases[1]));
            Assert.Equal(ConvReference.Requantized(cases[2]), kernel.Requantized(cases[2]));
        }
    }

    [Fact]
    public void Output_of_the_wrong_length_is_refused()
    {
        var problem = ConvCases.Problem("conv3x3_int8", new TensorShape(1, 1, 4, 4), 1, _ => 1, _ => 1);

        Assert.Throws<ArgumentException>(() => new ConvKernel(1).ConvolveRaw(problem, new long[3]));
        Assert.Equal("output", Assert.Throws<ConvolutionException>(() => new ConvKernel(1).Convolve(problem, new int[4])).Field);
    }
}
