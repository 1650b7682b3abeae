using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class SplitBiasTests
{
    private static readonly ConvModule Int16 = ConvModule.Resolve("conv3x3_int16");

    private static ConvSpec Spec(int shift, ConvOutputMode output = ConvOutputMode.Requantized) => new(Int16, 1, ConvPadding.Valid, shift, output);

    [Fact]
    public void Applies_only_to_requantized_jobs_with_a_shift_of_16_or_more_few_enough_steps_and_small_biases()
    {
        // At s = 16, b + 2^15 must lie in [−2^45 + 2^16, 2^45): its high half bh in (−2^29, 2^29).
        long[] small = [0, 12345, -(1L << 45) + (1L << 15), (1L << 45) - (1L << 15) - 1];

        Assert.True(SplitBias.Applies(Spec(16), 1 << 15, small));
        Assert.True(SplitBias.Applies(Spec(40), 15, []));
        Assert.False(SplitBias.Applies(Spec(15), 15, small));
        Assert.False(SplitBias.Applies(Spec(0, ConvOutputMode.Raw), 15, small));
        Assert.False(SplitBias.Applies(Spec(16), (1 << 15) + 1, small));
        Assert.False(SplitBias.Applies(Spec(16), 15, [(1L << 45) - (1L << 15)]));
        Assert.False(SplitBias.Applies(Spec(16), 15, [-(1L << 45) + (1L << 15) - 1]));
        Assert.False(SplitBias.Applies(Spec(16), 15, [long.MinValue]));
        Assert.False(SplitBias.Applies(Spec(16), 15, [long.MaxValue]));
        // The rounding constant 2^(s−1) is part of the bias: at s = 63 it alone is far past the bound.
        Assert.False(SplitBias.Applies(Spec(63), 15, [0]));
    }

    [Fact]
    public void Encoding_puts_each_lane_block_as_high_then_low_halves_of_bias_plus_the_rounding_constant()
    {
        long[] bias = [0, -1, 70000, -70000, 5, 6, 7, 8];

        SplitBias.Encode(bias, 4, 17);

        var ints = System.Runtime.InteropServices.MemoryMarshal.Cast<long, int>(bias.AsSpan()).ToArray();
        long[] folded = [65536, 65535, 70000 + 65536, -70000 + 65536];
        Assert.Equal(folded.Select(v => (int)(v >> 16)), ints[..4]);
        Assert.Equal(folded.Select(v => (int)(v & 0xFFFF)), ints[4..8]);
        Assert.Equal(new long[] { 5 + 65536, 6 + 65536 }.Select(v => (int)(v >> 16)), ints[8..10]);
    }
}
