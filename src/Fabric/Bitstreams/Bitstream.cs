using System.Buffers.Binary;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// A configuration stream as the configuration engine applies it: where it sits in the file, every
/// packet, and what the device would do with it — every register write (whichever packet type
/// carried it), every frame write, every CRC check. Produced by <see cref="BitstreamReader"/>
/// through the one interpreter (<see cref="ConfigurationEngine"/>); the file's bytes stay
/// referenced, never copied.
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
        IReadOnlyList<RegisterWrite> registerWrites,
        IReadOnlyList<FdriWrite> fdriWrites,
        IReadOnlyList<MultiFrameWrite> multiFrameWrites,
        IReadOnlyList<CrcCheck> crcChecks,
        int sessions,
        long? uncheckedFrameData,
        int nopWordsAfterDesync)
    {
        File = file;
        Format = format;
        Header = header;
        PayloadOffset = payloadOffset;
        SyncOffset = syncOffset;
        Packets = packets;
        RegisterWrites = registerWrites;
        FdriWrites = fdriWrites;
        MultiFrameWrites = multiFrameWrites;
        CrcChecks = crcChecks;
        Sessions = sessions;
        UncheckedFrameData = uncheckedFrameData;
        NopWordsAfterDesync = nopWordsAfterDesync;
        IdCodes = Values(ConfigRegister.IDCODE).ToList();
        Commands = Values(ConfigRegister.CMD).ToList();
        FarWrites = Values(ConfigRegister.FAR).Select(v => new FrameAddress(v)).ToList();
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

    /// <summary>Every word written to a register other than FDRI, in order, type 1 and type 2 packets alike.</summary>
    public IReadOnlyList<RegisterWrite> RegisterWrites { get; }

    /// <summary>Every value written to IDCODE, in order.</summary>
    public IReadOnlyList<uint> IdCodes { get; }

    /// <summary>Every value written to CMD, in order (see <see cref="ConfigCommand"/>).</summary>
    public IReadOnlyList<uint> Commands { get; }

    public IReadOnlyList<FrameAddress> FarWrites { get; }

    public IReadOnlyList<FdriWrite> FdriWrites { get; }

    /// <summary>Frames written through MFWR (never in a Vivado partial; FORMAT-NOTES §9).</summary>
    public IReadOnlyList<MultiFrameWrite> MultiFrameWrites { get; }

    public IReadOnlyList<CrcCheck> CrcChecks { get; }

    /// <summary>Sync sessions: 1, plus one for each resynchronization after DESYNC.</summary>
    public int Sessions { get; }

    /// <summary>
    /// Byte offset of the first frame-data word that no CRC check covers (the stream ends, or CMD
    /// RCRC discards the running value, before a check); null when every frame word is checked.
    /// </summary>
    public long? UncheckedFrameData { get; }

    /// <summary>NOP words after CMD DESYNC (Vivado: 400 full, 16 partial).</summary>
    public int NopWordsAfterDesync { get; }

    /// <summary>The first IDCODE the stream writes; null if it writes none. Every one must match (see <see cref="IdCodes"/>).</summary>
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

    /// <summary>
    /// True when there is at least one CRC write, every one matched, and every frame-data word is
    /// covered by a check that follows it: a stream without checks cannot be trusted.
    /// </summary>
    public bool CrcVerified => CrcChecks.Count > 0 && CrcChecks.All(c => c.Matches) && UncheckedFrameData is null;

    /// <summary>One word of frame data: word <paramref name="index"/> of an FDRI burst, in its logical value.</summary>
    public uint ReadWord(FdriWrite write, int index)
    {
        var span = File.Span.Slice((int)write.DataOffset + (index * 4), 4);
        return Format == BitstreamFormat.Bin
            ? BinaryPrimitives.ReadUInt32LittleEndian(span)
            : BinaryPrimitives.ReadUInt32BigEndian(span);
    }

    private IEnumerable<uint> Values(ConfigRegister register) =>
        RegisterWrites.Where(w => w.Register == (int)register).Select(w => w.Value);
}
