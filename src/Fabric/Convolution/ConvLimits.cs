namespace Dpr.Fabric.Convolution;

/// <summary>Largest tensors a job may have; a job over a limit is refused before any work.</summary>
public sealed record ConvLimits(long MaxTensorElements)
{
    /// <summary>2^26 elements: a 64 MiB int8 tensor, far below where an int8/int16 sum could wrap.</summary>
    public static ConvLimits Default { get; } = new(1L << 26);
}
