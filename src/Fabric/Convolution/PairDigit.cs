namespace Dpr.Fabric.Convolution;

/// <summary>
/// Which part of each input value a pair plane holds. int16 values whose products could overflow an
/// Int32 pair sum are split as x = 256·High + Low (Low in [0, 255], High in [−128, 127]), both of which
/// fit the pair arithmetic; their partial sums are recombined exactly in Int64.
/// </summary>
internal enum PairDigit
{
    Full,
    Low,
    High,
}
