using Dpr.Fabric.Convolution;
using Dpr.Host.Bench;

namespace Dpr.Host.Tests.Bench;

/// <summary>ONNX Runtime, an implementation written by others, agrees with the reference on random jobs.</summary>
public sealed class OnnxOracleTests
{
    private static ConvProblem RandomProblem(Random random, ConvModule module, int valueBound, bool bias)
    {
        var k = module.KernelSize;
        var stride = random.Next(1, 3);
        var padding = random.Next(2) == 0 ? ConvPadding.Valid : ConvPadding.Same;
        var input = new TensorShape(random.Next(1, 3), random.Next(1, 5), random.Next(k, 14), random.Next(k, 20));
        var weights = new TensorShape(random.Next(1, 6), input.C, k, k);
        int Value() => random.Next(-valueBound, valueBound);
        return ConvProblem.Create(
            new ConvSpec(module, stride, padding, 0, ConvOutputMode.Raw),
            input, Enumerable.Range(0, (int)input.Count).Select(_ => Value()).ToArray(),
            weights, Enumerable.Range(0, (int)weights.Count).Select(_ => Value()).ToArray(),
            bias ? Enumerable.Range(0, weights.N).Select(_ => (long)random.Next(-1000, 1000)).ToArray() : Array.Empty<long>());
    }

    [Theory]
    [InlineData("conv3x3_int8")]
    [InlineData("conv5x5_int8")]
    public void ConvInteger_agrees_with_the_reference_on_full_range_int8(string name)
    {
        var module = ConvModule.Resolve(name);
        var random = new Random(name.Length * 7919);
        for (var i = 0; i < 25; i++)
        {
            // Random.Next(-128, 128): the whole int8 range, its upper bound being exclusive.
            var problem = RandomProblem(random, module, 128, bias: false);
            using var onnx = OnnxConvSession.ConvInteger(problem, threads: 2);

            Assert.Equal(ConvReference.Raw(problem), onnx.Outputs());
        }
    }

    [Fact]
    public void ConvInteger_agrees_at_the_int8_extremes()
    {
        var module = ConvModule.Resolve("conv3x3_int8");
        var input = new TensorShape(1, 2, 5, 7);
        var x = Enumerable.Range(0, (int)input.Count).Select(i => i % 2 == 0 ? -128 : 127).ToArray();
        var w = Enumerable.Range(0, 2 * 2 * 9).Select(i => i % 3 == 0 ? 127 : -128).ToArray();
        var problem = ConvProblem.Create(new ConvSpec(module, 1, ConvPadding.Same, 0, ConvOutputMode.Raw), input, x, new TensorShape(2, 2, 3, 3), w);
        using var onnx = OnnxConvSession.ConvInteger(problem, threads: 2);

        Assert.False(onnx.UnsignedInput, "ONNX Runtime 1.31 runs ConvInteger on int8 x int8 directly");
        Assert.Equal(ConvReference.Raw(problem), onnx.Outputs());
    }

    [Fact]
    public void Uint8_input_with_zero_point_128_represents_int8_exactly()
    {
        var random = new Random(11);
        for (var i = 0; i < 10; i++)
        {
            var problem = RandomProblem(random, ConvModule.Resolve("conv5x5_int8"), 128, bias: false);
            using var onnx = OnnxConvSession.ConvInteger(problem, threads: 1, unsignedInput: true);

            Assert.Equal(ConvReference.Raw(problem), onnx.Outputs());
        }
    }

    [Theory]
    [InlineData("conv3x3_int8")]
    [InlineData("conv3x3_int16")]
    [InlineData("conv3x3_int32")]
    [InlineData("conv5x5_int8")]
    [InlineData("conv5x5_int16")]
    [InlineData("conv5x5_int32")]
    public void Float_Conv_agrees_with_the_reference_where_floats_are_exact(string name)
    {
        // |x|, |w| ≤ 64, Cin ≤ 4, K ≤ 5, |b| < 1000: every partial sum is an integer below 2^24.
        var module = ConvModule.Resolve(name);
        var random = new Random(name.Sum(c => c));
        for (var i = 0; i < 15; i++)
        {
            var problem = RandomProblem(random, module, 64, bias: i % 2 == 0);
            using var onnx = OnnxConvSession.FloatConv(problem, threads: 2);

            Assert.Equal(ConvReference.Raw(problem), onnx.Outputs());
        }
    }
}
