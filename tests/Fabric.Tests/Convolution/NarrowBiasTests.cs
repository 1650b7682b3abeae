using System.Runtime.InteropServices;
using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class NarrowBiasTests
{
    private static readonly ConvModule Int8 = ConvModule.Resolve("conv3x3_int8");

    private static ConvSpec Spec(int shift, ConvOutputMode output = ConvOutputMode.Requantized) => new(Int8, 1, ConvPadding.Valid, shift, output);

    [Fact]
    public void Applies_only_to_requantized_jobs_whose_sums_plus_biases_fit_int32()
    {
        Assert.True(NarrowBias.Applies(Spec(6), 1000, [0, int.MaxValue - 1000, int.MinValue + 1000]));
        Assert.True(NarrowBias.Applies(Spec(63), int.MaxValue, [0]));
        Assert.False(NarrowBias.Applies(Spec(6), 1000, [int.MaxValue - 999]));
        Assert.False(NarrowBias.Applies(Spec(6), 1000, [int.MinValue + 999]));
        Assert.False(NarrowBias.Applies(Spec(6), 1L + int.MaxValue, []));
        Assert.False(NarrowBias.Applies(Spec(0, ConvOutputMode.Raw), 1000, []));
    }

    [Fact]
    public void Encoding_puts_each_lane_block_as_int32_biases_in_its_first_half()
    {
        long[] bias = [0, -1, 70000, int.MinValue, 5, 6, 7, int.MaxValue];

        NarrowBias.Encode(bias, 4);

        var ints = MemoryMarshal.Cast<long, int>(bias.AsSpan()).ToArray();
        Assert.Equal([0, -1, 70000, int.MinValue], ints[..4]);
        Assert.Equal([5, 6, 7, int.MaxValue], ints[8..12]);
    }

    [Fact]
    public void Int8_jobs_at_the_bias_bound_and_one_past_it_equal_the_reference_on_every_path()
    {
        // One channel, 3x3: the kernel's bound on a whole output's pair sums is 3 rows · 2 pairs · 2 · max|x| · max|w|
        // (the zero tap of odd K counted), 196,608 for weights −128, the largest real sum 9 · 2^14. A bias of int32
        // max − bound (or int32 min + bound) requantizes in Int32; one further falls back to Int64. Inputs −128 with
        // weights −128 (positive sums) or 127 (negative), odd sizes and both strides, shifts from 0 to 63.
        var input = new TensorShape(1, 1, 7, 37);
        foreach (var weight in new[] { -128, 127 })
        {
            var bound = 3 * 2 * 2 * 128L * Math.Abs(weight);
            var edge = weight < 0 ? int.MaxValue - bound : int.MinValue + bound;
            foreach (var bias in new[] { edge, edge + Math.Sign(edge) })
            {
                foreach (var (shift, stride) in new[] { (0, 1), (1, 2), (7, 1), (24, 2), (31, 1), (40, 1), (63, 2) })
                {
                    var problem = ConvCases.Problem(
                        "conv3x3_int8", input, 1, i => i % 7 == 0 ? 5 : -128, _ => weight, stride, ConvPadding.Same, shift,
                        ConvOutputMode.Requantized, [bias]);

                    Assert.Equal(bias == edge, NarrowBias.Applies(problem.Spec, bound, problem.Bias.Span));
                    var expected = ConvReference.Requantized(problem);
                    foreach (var kernel in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }
                        .Where(ConvKernel.IsSupported).Select(isa => new ConvKernel(2, isa, ConvLayout.Spatial)))
                    {
                        Assert.Equal(expected, kernel.Requantized(problem));
                    }
                }
            }
        }
    }

    [Fact]
    public void Jobs_of_four_or_more_output_channels_finish_in_int32_at_the_bias_bound_and_one_past_it_on_every_path()
    {
        // 4–9 output channels: whole 4-channel blocks (Block4) and a partial block (1–3 channels, Block1), with
        // channel biases alternating between the bound's two edges, or one of them one past it (the whole job then
        // takes the Int64 path). 5x5 int8 over two input channels, odd sizes, both strides and paddings, several
        // tiles per block, shifts from 0 to 63; inputs −128 and 127, weights from −128 to 127.
        var input = new TensorShape(1, 2, 9, 29);
        var cases = new[] { (4, 0, 1, ConvPadding.Valid), (5, 1, 2, ConvPadding.Same), (6, 7, 1, ConvPadding.Same), (7, 24, 2, ConvPadding.Valid), (8, 31, 1, ConvPadding.Same), (9, 40, 1, ConvPadding.Valid), (6, 63, 2, ConvPadding.Same) };
        var jobs = 0;
        foreach (var (cout, shift, stride, padding) in cases)
        {
            // Per input channel 5 rows · 3 pairs · 2 · 128 · 128, the kernel's bound on a whole output's pair sums.
            var bound = 2 * 5 * 3 * 2 * 128L * 128;
            foreach (var past in new[] { false, true })
            {
                var bias = Enumerable.Range(0, cout).Select(j => j % 2 == 0 ? int.MaxValue - bound : int.MinValue + bound).ToArray();
                if (past)
                {
                    bias[cout - 1] += Math.Sign(bias[cout - 1]);
                }
                var problem = ConvCases.Problem(
                    "conv5x5_int8", input, cout, i => i % 3 == 0 ? 127 : -128, i => (i * 37 % 256) - 128, stride, padding, shift,
                    ConvOutputMode.Requantized, bias);

                Assert.Equal(!past, NarrowBias.Applies(problem.Spec, bound, problem.Bias.Span));
                var expected = ConvReference.Requantized(problem);
                foreach (var kernel in from isa in new[] { ConvIsa.Portable, ConvIsa.Avx2, ConvIsa.AvxVnni, ConvIsa.Avx512 }
                         where ConvKernel.IsSupported(isa)
                         from layout in new[] { ConvLayout.Auto, ConvLayout.Spatial }
                         select new ConvKernel(2, isa, layout))
                {
                    Assert.Equal(expected, kernel.Requantized(problem));
                }
                jobs++;
            }
        }
        Assert.Equal(2 * cases.Length, jobs);
    }
}
