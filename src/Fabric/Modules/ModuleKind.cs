namespace Dpr.Fabric.Modules;

/// <summary>What a module computes: a convolution engine (kernel size and precision) or something dpr does not drive itself.</summary>
/// <param name="Type"><c>convolution</c> or <c>opaque</c>.</param>
/// <param name="Precision"><c>int8</c>, <c>int16</c> or <c>int32</c> for convolutions.</param>
public sealed record ModuleKind(string Type, int? KernelSize = null, string? Precision = null)
{
    public const string Convolution = "convolution";
    public const string Opaque = "opaque";

    public override string ToString() => Type == Convolution ? $"{Type}/{KernelSize}x{KernelSize}/{Precision}" : Type;
}
