namespace Dpr.Fabric.Convolution;

/// <summary>The output stage of a job, read once per call instead of once per tile.</summary>
internal readonly record struct Requantization(bool Raw, int Shift, long Min, long Max)
{

    public static Requantization Of(ConvSpec spec) =>
        new(spec.Output == ConvOutputMode.Raw, spec.Shift, spec.Module.MinValue, spec.Module.MaxValue);
}
