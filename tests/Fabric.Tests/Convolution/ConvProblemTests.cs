using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class ConvProblemTests
{
    private static readonly ConvModule Int8x3 = ConvModule.Resolve("conv3x3_int8");

    private static ConvolutionException Refused(
        ConvSpec? spec = null, TensorShape? input = null, int[]? x = null, TensorShape? weights = null, int[]? w = null,
        long[]? bias = null, ConvLimits? limits = null, ConvPrecision? precision = null)
    {
        var inShape = input ?? new TensorShape(1, 1, 4, 4);
        var wShape = weights ?? new TensorShape(1, inShape.C, 3, 3);
        return Assert.Throws<ConvolutionException>(() => ConvProblem.Create(
            spec ?? new ConvSpec(Int8x3, 1, ConvPadding.Valid, 0, ConvOutputMode.Raw),
            inShape, x ?? new int[inShape.Count], wShape, w ?? new int[wShape.Count], bias ?? [], limits, precision));
    }

    [Fact]
    public void Kernel_that_does_not_match_the_module_names_kernel()
    {
        Assert.Equal("weights.shape", Refused(weights: new TensorShape(1, 1, 5, 5)).Field);
    }

    [Fact]
    public void Declared_precision_that_does_not_match_names_precision()
    {
        Assert.Equal("precision", Refused(precision: ConvPrecision.Int16).Field);
    }

    [Theory]
    [InlineData(3, "stride")]
    [InlineData(0, "stride")]
    public void Bad_stride_names_stride(int stride, string field)
    {
        Assert.Equal(field, Refused(spec: new ConvSpec(Int8x3, stride, ConvPadding.Valid, 0, ConvOutputMode.Raw)).Field);
    }

    [Fact]
    public void Shift_out_of_range_or_in_raw_mode_names_shift()
    {
        Assert.Equal("shift", Refused(spec: new ConvSpec(Int8x3, 1, ConvPadding.Valid, 64, ConvOutputMode.Requantized)).Field);
        Assert.Equal("shift", Refused(spec: new ConvSpec(Int8x3, 1, ConvPadding.Valid, 2, ConvOutputMode.Raw)).Field);
    }

    [Fact]
    public void Undefined_enum_values_name_their_fields()
    {
        Assert.Equal("padding", Refused(spec: new ConvSpec(Int8x3, 1, (ConvPadding)7, 0, ConvOutputMode.Raw)).Field);
        Assert.Equal("output", Refused(spec: new ConvSpec(Int8x3, 1, ConvPadding.Valid, 0, (ConvOutputMode)7)).Field);
    }

    [Fact]
    public void Shapes_that_do_not_agree_name_the_shape()
    {
        Assert.Equal("weights.shape", Refused(input: new TensorShape(1, 2, 4, 4), weights: new TensorShape(1, 3, 3, 3)).Field);
        Assert.Equal("bias", Refused(bias: [1, 2]).Field);
        Assert.Equal("input.shape", Refused(input: new TensorShape(1, 1, 2, 4)).Field);
        Assert.Equal("input.shape", Refused(input: new TensorShape(1, 0, 4, 4), weights: new TensorShape(1, 1, 3, 3)).Field);
        Assert.Equal("input.shape", Refused(x: new int[15]).Field);
        Assert.Equal("weights.shape", Refused(w: new int[8]).Field);
    }

    [Fact]
    public void Values_outside_the_precision_name_the_tensor_and_the_index()
    {
        var x = new int[16];
        x[5] = 128;
        var w = new int[9];
        w[8] = -129;

        var input = Refused(x: x);
        var weights = Refused(w: w);

        Assert.Equal("input", input.Field);
        Assert.Contains("element 5 is 128", input.Message);
        Assert.Equal("weights", weights.Field);
        Assert.Contains("element 8 is -129", weights.Message);
    }

    [Fact]
    public void Tensors_over_the_limit_name_the_tensor()
    {
        var limits = new ConvLimits(10);

        Assert.Equal("input.size", Refused(limits: limits).Field);
        Assert.Equal("weights.size", Refused(weights: new TensorShape(2, 1, 3, 3), limits: new ConvLimits(17)).Field);
    }

    [Fact]
    public void A_good_job_records_bounds_and_work()
    {
        var x = Enumerable.Range(0, 16).Select(i => i - 8).ToArray();
        var w = Enumerable.Repeat(-128, 9).ToArray();

        var p = ConvProblem.Create(new ConvSpec(Int8x3, 1, ConvPadding.Same, 3, ConvOutputMode.Requantized), new TensorShape(1, 1, 4, 4), x, new TensorShape(1, 1, 3, 3), w);

        Assert.Equal(8, p.InputMaxAbs);
        Assert.Equal(128, p.WeightMaxAbs);
        Assert.Equal(16L * 9, p.MultiplyAccumulates);
    }
}
