namespace Dpr.Fabric.Drivers;

/// <summary>
/// What a convolution module computed: the output tensor in the job's mode (requantized P-bit
/// values, or raw Int64 accumulators), the fabric cycles it reported and what they mean at the
/// board's clock, and how many passes through the module the job needed.
/// </summary>
public sealed record ConvModuleResult(int[]? Requantized, long[]? Raw, long Cycles, TimeSpan ModuleTime, int Passes);
