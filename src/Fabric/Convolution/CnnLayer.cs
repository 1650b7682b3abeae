namespace Dpr.Fabric.Convolution;

/// <summary>One convolution layer of <see cref="CnnWorkload"/>: a module applied to an input of a fixed shape.</summary>
public sealed record CnnLayer(string Name, ConvModule Module, TensorShape Input, int Cout, int Stride, ConvPadding Padding, int Shift)
{
    public TensorShape Weights => new(Cout, Input.C, Module.KernelSize, Module.KernelSize);

    public ConvSpec Spec(ConvOutputMode output = ConvOutputMode.Requantized) =>
        new(Module, Stride, Padding, output == ConvOutputMode.Raw ? 0 : Shift, output);

    public TensorShape Output
    {
        get
        {
            var spec = Spec();
            return new TensorShape(Input.N, Cout, spec.OutputSize(Input.H), spec.OutputSize(Input.W));
        }
    }

    public long MultiplyAccumulates => Output.Count * Input.C * Module.KernelSize * Module.KernelSize;
}
