namespace Dpr.Fabric.Convolution;

/// <summary>What a job computes besides its tensors: module, stride, padding, shift, output mode.</summary>
public sealed record ConvSpec(ConvModule Module, int Stride, ConvPadding Padding, int Shift, ConvOutputMode Output)
{
    public int KernelSize => Module.KernelSize;

    /// <summary>Zero rows/columns added on every side.</summary>
    public int Pad => Padding == ConvPadding.Same ? (KernelSize - 1) / 2 : 0;

    /// <summary>⌊(size + 2p − K) / s⌋ + 1, or 0 when the kernel does not fit.</summary>
    public int OutputSize(int inputSize)
    {
        var span = inputSize + 2 * Pad - KernelSize;
        return span < 0 ? 0 : span / Stride + 1;
    }

    public void Validate()
    {
        if (Stride is not (1 or 2))
        {
            throw new ConvolutionException("stride", $"must be 1 or 2, was {Stride}");
        }
        if (!Enum.IsDefined(Padding))
        {
            throw new ConvolutionException("padding", $"must be valid or same, was {Padding}");
        }
        if (!Enum.IsDefined(Output))
        {
            throw new ConvolutionException("output", $"must be requantized or raw, was {Output}");
        }
        if (Shift is < 0 or > 63)
        {
            throw new ConvolutionException("shift", $"must be in [0, 63], was {Shift}");
        }
        if (Output == ConvOutputMode.Raw && Shift != 0)
        {
            throw new ConvolutionException("shift", $"must be 0 in raw mode, was {Shift}");
        }
    }
}
