namespace Dpr.Fabric.Convolution;

/// <summary>Bit width P of inputs, weights and requantized outputs; the value is P.</summary>
public enum ConvPrecision
{
    Int8 = 8,
    Int16 = 16,
    Int32 = 32,
}
