namespace Dpr.Fabric.Bitstreams;

public enum BitstreamKind
{
    Full,
    Partial,
}
