namespace Dpr.Fabric.Bitstreams;

/// <summary>Packet header bits 28:27; 3 is reserved (FORMAT-NOTES §3).</summary>
public enum PacketOpcode
{
    Nop = 0,
    Read = 1,
    Write = 2,
}
