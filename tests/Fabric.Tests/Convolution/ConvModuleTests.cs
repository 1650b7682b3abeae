using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class ConvModuleTests
{
    [Theory]
    [InlineData("conv3x3_int8", 3, ConvPrecision.Int8)]
    [InlineData("conv3x3_8bit", 3, ConvPrecision.Int8)]
    [InlineData("CONV5X5_16BIT", 5, ConvPrecision.Int16)]
    [InlineData("conv5x5_int32", 5, ConvPrecision.Int32)]
    [InlineData(" conv3x3_32bit ", 3, ConvPrecision.Int32)]
    public void Resolves_names_and_aliases_case_insensitively(string name, int k, ConvPrecision precision)
    {
        var module = ConvModule.Resolve(name);

        Assert.Equal(k, module.KernelSize);
        Assert.Equal(precision, module.Precision);
        Assert.Equal($"conv{k}x{k}_int{(int)precision}", module.Name.Value);
    }

    [Fact]
    public void Catalog_has_the_six_modules()
    {
        Assert.Equal(
            ["conv3x3_int8", "conv3x3_int16", "conv3x3_int32", "conv5x5_int8", "conv5x5_int16", "conv5x5_int32"],
            ConvModule.All.Select(m => m.Name.Value));
    }

    [Fact]
    public void Unknown_name_is_a_typed_error_listing_known_names()
    {
        var error = Assert.Throws<ConvolutionException>(() => ConvModule.Resolve("conv7x7_int8"));

        Assert.Equal("module", error.Field);
        Assert.Contains("conv7x7_int8", error.Message);
        Assert.Contains("conv5x5_int16 (conv5x5_16bit)", error.Message);
    }

    [Theory]
    [InlineData(ConvPrecision.Int8, -128L, 127L)]
    [InlineData(ConvPrecision.Int16, -32768L, 32767L)]
    [InlineData(ConvPrecision.Int32, -2147483648L, 2147483647L)]
    public void Range_is_signed_P_bits(ConvPrecision precision, long min, long max)
    {
        var module = ConvModule.Of(3, precision);

        Assert.Equal(min, module.MinValue);
        Assert.Equal(max, module.MaxValue);
    }
}
