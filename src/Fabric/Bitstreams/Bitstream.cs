using System.Buffers.Binary;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// A parsed configuration stream: where it sits in the file, every packet, and what the device
/// would do with it (IDCODE check, commands, frame writes, CRC checks). Produced by
/// <see cref="BitstreamReader"/>; the file's bytes stay referenced, never copied.
/// </summary>
public sealed class Bitstream
{
    internal Bitstream(
        ReadOnlyMemory<byte> file,
        BitstreamFormat format,
        BitstreamHeader? header,
        int payloadOffset,
        long syncOffset,
        IReadOnlyList<ConfigPacket> packets,
        IReadOnlyList<uint> idCodes,
        IReadOnlyList<uint> commands,
        IReadOnlyList<FrameAddress> farWrites,
        IReadOnlyList<FdriWrite> fdriWrites,
        IReadOnlyList<CrcCheck> crcChecks,
        int nopWordsAfterDesync)
    {
        File = file;
        Format = format;
        Header = header;
        PayloadOffset = payloadOffset;
        SyncOffset = syncOffset;
        Packets = packets;
        IdCodes = idCodes;
        Commands = commands;
        FarWrites = farWrites;
        FdriWrites = fdriWrites;
        CrcChecks = crcChecks;
        NopWordsAfterDesync = nopWordsAfterDesync;
    }

    /// <summary>The whole file as read.</summary>
    public ReadOnlyMemory<byte> File { get; }

    public BitstreamFormat Format { get; }

    /// <summary>The <c>.bit</c> header; null for <c>.bin</c> and raw streams.</summary>
    public BitstreamHeader? Header { get; }

    /// <summary>Where the configuration stream (dummy words, bus width, sync...) starts in the file.</summary>
    public int PayloadOffset { get; }

    /// <summary>The configuration stream: from <see cref="PayloadOffset"/> to the end of the file.</summary>
    public ReadOnlyMemory<byte> Payload => File[PayloadOffset..];

    /// <summary>Byte offset of the (first) sync word in the file.</summary>
    public long SyncOffset { get; }

    public IReadOnlyList<ConfigPacket> Packets { get; }

    /// <summary>Every value written to IDCODE, in order.</summary>
    public IReadOnlyList<uint> IdCodes { get; }

    /// <summary>Every value written to CMD, in order (see <see cref="ConfigCommand"/>).</summary>
    public IReadOnlyList<uint> Commands { get; }

    public IReadOnlyList<FrameAddress> FarWrites { get; }

    public IReadOnlyList<FdriWrite> FdriWrites { get; }

    public IReadOnlyList<CrcCheck> CrcChecks { get; }

    /// <summary>NOP words between CMD DESYNC and the end of the file (Vivado: 400 full, 16 partial).</summary>
    public int NopWordsAfterDesync { get; }

    /// <summary>The IDCODE the stream checks against; null if it writes none.</summary>
    public uint? IdCode => IdCodes.Count > 0 ? IdCodes[0] : null;

    /// <summary>
    /// Decided by content, so a header-less <c>.bin</c> is classified like its <c>.bit</c>: a partial
    /// shuts the region down (CMD SHUTDOWN) and never issues LFRM; a full bitstream does the opposite
    /// (FORMAT-NOTES §9).
    /// </summary>
    public BitstreamKind Kind =>
        Commands.Contains((uint)ConfigCommand.SHUTDOWN) && !Commands.Contains((uint)ConfigCommand.LFRM)
            ? BitstreamKind.Partial
            : BitstreamKind.Full;

    public long FdriTotalWords => FdriWrites.Sum(w => (long)w.Words);

    /// <summary>True when every CRC write matched and there was at least one: a stream without checks cannot be trusted.</summary>
    public bool CrcVerified => CrcChecks.Count > 0 && CrcChecks.All(c => c.Matches);

    /// <summary>One word of frame data: word <paramref name="index"/> of an FDRI burst, in its logical value.</summary>
    public uint ReadWord(FdriWrite write, int index)
    {
        var span = File.Span.Slice((int)write.DataOffset + (index * 4), 4);
        return Format == BitstreamFormat.Bin
            ? BinaryPrimitives.ReadUInt32LittleEndian(span)
            : BinaryPrimitives.ReadUInt32BigEndian(span);
    }
}
