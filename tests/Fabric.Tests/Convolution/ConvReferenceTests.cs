using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class ConvReferenceTests
{
    [Fact]
    public void Valid_3x3_over_a_4x4_ramp_matches_hand_computation()
    {
        // x[r, c] = 4r + c, all weights 1: each output is 9 times the centre of its window.
        var p = ConvCases.Problem("conv3x3_int8", new TensorShape(1, 1, 4, 4), 1, i => i, _ => 1);

        Assert.Equal(new TensorShape(1, 1, 2, 2), p.OutputShape);
        Assert.Equal([45L, 54L, 81L, 90L], ConvReference.Raw(p));
    }

    [Fact]
    public void Same_padding_zero_fills_the_border()
    {
        var p = ConvCases.Problem("conv3x3_int8", new TensorShape(1, 1, 3, 3), 1, _ => 1, _ => 1, padding: ConvPadding.Same);

        Assert.Equal([4L, 6L, 4L, 6L, 9L, 6L, 4L, 6L, 4L], ConvReference.Raw(p));
    }

    [Fact]
    public void Stride_2_same_pads_symmetrically_and_rounds_the_size_up()
    {
        // 4x4 ramp, 3x3 of ones, pad 1, stride 2: windows centred on (0,0), (0,2), (2,0), (2,2).
        var p = ConvCases.Problem("conv3x3_int16", new TensorShape(1, 1, 4, 4), 1, i => i, _ => 1, stride: 2, padding: ConvPadding.Same);

        Assert.Equal(new TensorShape(1, 1, 2, 2), p.OutputShape);
        Assert.Equal([0 + 1 + 4 + 5L, 1 + 2 + 3 + 5 + 6 + 7L, 4 + 5 + 8 + 9 + 12 + 13L, 5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15L], ConvReference.Raw(p));
    }

    [Theory]
    [InlineData(5, 5, 1, ConvPadding.Valid, 1, 1)]
    [InlineData(5, 7, 2, ConvPadding.Valid, 1, 2)]
    [InlineData(7, 7, 2, ConvPadding.Same, 4, 4)]
    [InlineData(28, 28, 1, ConvPadding.Same, 28, 28)]
    [InlineData(32, 32, 2, ConvPadding.Valid, 14, 14)]
    public void Output_shape_follows_the_formulas_for_5x5(int h, int w, int stride, ConvPadding padding, int hOut, int wOut)
    {
        var p = ConvCases.Problem("conv5x5_int8", new TensorShape(2, 3, h, w), 4, _ => 1, _ => 1, stride, padding);

        Assert.Equal(new TensorShape(2, 4, hOut, wOut), p.OutputShape);
    }

    [Fact]
    public void Bias_is_added_per_output_channel_and_channels_are_summed()
    {
        // Two input channels of ones, weights co0 = 1 and co1 = -1 everywhere.
        var p = ConvCases.Problem(
            "conv3x3_int32", new TensorShape(1, 2, 3, 3), 2, _ => 1, i => i < 18 ? 1 : -1, bias: [100, -7]);

        Assert.Equal([118L, -25L], ConvReference.Raw(p));
    }

    [Theory]
    [InlineData(3L, 1, 2L)]
    [InlineData(-3L, 1, -1L)]
    [InlineData(-1L, 1, 0L)]
    [InlineData(-2L, 1, -1L)]
    [InlineData(5L, 0, 5L)]
    [InlineData(6L, 2, 2L)]
    [InlineData(-6L, 2, -1L)]
    [InlineData(long.MaxValue, 1, 1L << 62)]
    [InlineData(long.MaxValue, 63, 1L)]
    [InlineData(long.MinValue, 63, -1L)]
    [InlineData(long.MinValue, 1, long.MinValue / 2)]
    public void RoundShift_rounds_half_up_without_wrapping(long a, int s, long expected)
    {
        Assert.Equal(expected, ConvReference.RoundShift(a, s));
    }

    [Fact]
    public void Requantized_rounds_then_saturates_to_P_bits()
    {
        // One input channel of 100s, weights 127: each valid output is 9 * 12700 = 114300; >> 4 = 7143.75 -> 7144.
        var int8 = ConvCases.Problem("conv3x3_int8", new TensorShape(1, 1, 3, 3), 2, _ => 100, i => i < 9 ? 127 : -128, shift: 4, output: ConvOutputMode.Requantized);
        var int16 = ConvCases.Problem("conv3x3_int16", new TensorShape(1, 1, 3, 3), 1, _ => 100, _ => 127, shift: 4, output: ConvOutputMode.Requantized);

        Assert.Equal([127, -128], ConvReference.Requantized(int8));
        Assert.Equal([7144], ConvReference.Requantized(int16));
    }

    [Fact]
    public void Int32_sums_wrap_modulo_2_pow_64()
    {
        // Nine products of (-2^31)^2 = 2^62 sum to 9 * 2^62 = 2^65 + 2^62, which is 2^62 modulo 2^64.
        var p = ConvCases.Problem("conv3x3_int32", new TensorShape(1, 1, 3, 3), 1, _ => int.MinValue, _ => int.MinValue, bias: [long.MaxValue]);

        Assert.Equal([unchecked((1L << 62) + long.MaxValue)], ConvReference.Raw(p));
    }

    [Fact]
    public void Asking_for_the_other_output_mode_is_a_typed_error()
    {
        var p = ConvCases.Problem("conv3x3_int8", new TensorShape(1, 1, 3, 3), 1, _ => 1, _ => 1);

        Assert.Equal("output", Assert.Throws<ConvolutionException>(() => ConvReference.Requantized(p)).Field);
    }
}
