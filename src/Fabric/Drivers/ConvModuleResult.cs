namespace Dpr.Fabric.Drivers;

/// <summary>
/// What a convolution module computed: the output tensor in the byte layout of docs/convolution.md at
/// the job's width (P/8 bytes a requantized value, 8 a raw Int64 accumulator), the fabric cycles it
/// reported and what they mean at the board's clock, and how many passes through the module the job needed.
/// </summary>
public sealed record ConvModuleResult(byte[] Output, long Cycles, TimeSpan ModuleTime, int Passes);
