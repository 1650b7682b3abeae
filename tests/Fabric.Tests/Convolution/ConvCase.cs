using Dpr.Fabric.Convolution;
using FsCheck;
using FsCheck.Fluent;

namespace Dpr.Fabric.Tests.Convolution;

/// <summary>A random job: any module, stride, padding, mode, shape, and values that favour the extremes.</summary>
public sealed record ConvCase(
    string Module, int Stride, ConvPadding Padding, ConvOutputMode Output, int Shift, TensorShape Input, int Cout,
    int[] X, int[] W, long[] Bias)
{
    public ConvProblem Problem()
    {
        var module = ConvModule.Resolve(Module);
        return ConvProblem.Create(
            new ConvSpec(module, Stride, Padding, Shift, Output), Input, X,
            new TensorShape(Cout, Input.C, module.KernelSize, module.KernelSize), W, Bias);
    }

    public override string ToString() =>
        $"{Module} s={Stride} {Padding} {Output} shift={Shift} in={Input} cout={Cout} bias={Bias.Length}";

    public static Arbitrary<ConvCase> Arbitrary(int maxChannels = 6, int maxSize = 13) =>
        Generator(maxChannels, maxSize).ToArbitrary();

    public static Gen<ConvCase> Generator(int maxChannels, int maxSize) =>
        from module in Gen.Elements(ConvModule.All.ToArray())
        from stride in Gen.Elements(1, 2)
        from padding in Gen.Elements(ConvPadding.Valid, ConvPadding.Same)
        from output in Gen.Elements(ConvOutputMode.Requantized, ConvOutputMode.Raw)
        from shift in output == ConvOutputMode.Raw ? Gen.Constant(0) : Gen.Choose(0, module.Bits + 24)
        from n in Gen.Choose(1, 2)
        from cin in Gen.Choose(1, maxChannels)
        from cout in Gen.Choose(1, maxChannels)
        from h in Gen.Choose(padding == ConvPadding.Same ? 1 : module.KernelSize, maxSize)
        from w in Gen.Choose(padding == ConvPadding.Same ? 1 : module.KernelSize, maxSize + 20)
        from range in Gen.Elements(module.Bits, 4, module.Bits / 2)
        from x in Values(module, range, n * cin * h * w)
        from weights in Values(module, module.Bits, cout * cin * module.KernelSize * module.KernelSize)
        from hasBias in Gen.Elements(true, false)
        from bias in hasBias ? Gen.ArrayOf(Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, 123456789L), cout) : Gen.Constant(Array.Empty<long>())
        select new ConvCase(module.Name.Value, stride, padding, output, shift, new TensorShape(n, cin, h, w), cout, x, weights, bias);

    /// <summary>Values of a signed <paramref name="bits"/>-bit range, a quarter of them the module's extremes.</summary>
    private static Gen<int[]> Values(ConvModule module, int bits, int count)
    {
        var max = (int)((1L << (bits - 1)) - 1);
        var extremes = Gen.Elements((int)module.MinValue, (int)module.MaxValue, -1, 0);
        return Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(-max - 1, max)), (1, extremes)), count);
    }
}
