namespace Dpr.Fabric.Convolution;

/// <summary>The canonical name of a reconfigurable module, e.g. <c>conv5x5_int16</c>.</summary>
public readonly record struct ModuleName(string Value)
{
    public override string ToString() => Value;
}
