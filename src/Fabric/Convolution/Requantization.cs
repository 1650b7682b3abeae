namespace Dpr.Fabric.Convolution;

/// <summary>The output stage of a job, read once per call instead of once per tile.</summary>
internal readonly record struct Requantization(bool Raw, int Shift, long Min, long Max)
{
    /// <summary>The per-lane bias a tile of split pair sums gets is <see cref="Convolution.SplitBias"/>-encoded, and the lanes requantize in Int32.</summary>
    public bool SplitBias { get; init; }

    public static Requantization Of(ConvSpec spec) =>
        new(spec.Output == ConvOutputMode.Raw, spec.Shift, spec.Module.MinValue, spec.Module.MaxValue);
}
