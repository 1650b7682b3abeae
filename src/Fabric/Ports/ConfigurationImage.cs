using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Ports;

/// <summary>An image ready for a port: already parsed and judged; <see cref="Name"/> is the module (or static design) it holds.</summary>
public sealed record ConfigurationImage(string Name, Bitstream Bitstream)
{
    public BitstreamKind Kind => Bitstream.Kind;

    /// <summary>Bytes the device receives: the configuration stream without a .bit header.</summary>
    public long Bytes => Bitstream.Payload.Length;
}
