namespace Dpr.Fabric.Convolution;

public enum ConvOutputMode
{
    /// <summary>Round, shift and saturate the accumulator to P bits.</summary>
    Requantized,

    /// <summary>The Int64 accumulator, bias included (ONNX <c>ConvInteger</c> when there is no bias).</summary>
    Raw,
}
