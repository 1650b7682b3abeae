namespace Dpr.Fabric.Convolution;

/// <summary>Zero padding: none, or (K − 1) / 2 on every side (see docs/convolution.md).</summary>
public enum ConvPadding
{
    Valid,
    Same,
}
