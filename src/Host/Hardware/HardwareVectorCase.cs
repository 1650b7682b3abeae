using Dpr.Fabric.Convolution;

namespace Dpr.Host.Hardware;

/// <summary>One testbench case: a single-channel job (Cin = Cout = 1, N frames) and how to stall its streams.</summary>
public sealed record HardwareVectorCase(int Number, string Description, ConvProblem Problem, StreamStalls Stalls);
