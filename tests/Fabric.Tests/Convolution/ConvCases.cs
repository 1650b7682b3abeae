using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

/// <summary>Builds problems for tests from a compact description.</summary>
internal static class ConvCases
{
    public static ConvProblem Problem(
        string module, TensorShape input, int cout, Func<int, int> x, Func<int, int> w, int stride = 1,
        ConvPadding padding = ConvPadding.Valid, int shift = 0, ConvOutputMode output = ConvOutputMode.Raw,
        long[]? bias = null)
    {
        var m = ConvModule.Resolve(module);
        var spec = new ConvSpec(m, stride, padding, shift, output);
        var weightShape = new TensorShape(cout, input.C, m.KernelSize, m.KernelSize);
        var xs = Enumerable.Range(0, (int)input.Count).Select(x).ToArray();
        var ws = Enumerable.Range(0, (int)weightShape.Count).Select(w).ToArray();
        return ConvProblem.Create(spec, input, xs, weightShape, ws, bias ?? []);
    }
}
