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
}
