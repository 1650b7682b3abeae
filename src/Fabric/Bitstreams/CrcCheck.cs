namespace Dpr.Fabric.Bitstreams;

/// <summary>A write to the CRC register: the value the file expects and the one computed over the stream.</summary>
public sealed record CrcCheck(long Offset, uint Expected, uint Computed)
{
    public bool Matches => Expected == Computed;
}
