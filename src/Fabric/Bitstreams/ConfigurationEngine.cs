namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The one interpreter of the 7-series packet stream (UG470 ch. 5, "Configuration Packets";
/// FORMAT-NOTES §3–§8): it applies every packet as the configuration engine does and records the
/// register writes and frame writes that result. <c>inspect</c>, <c>verify</c>, the swap-time
/// verdict and the simulated device all read its output, so what is checked is what is written.
/// Where the sources do not say what the engine does, it refuses with the byte offset instead of
/// guessing (docs/bitstreams.md lists each case).
/// </summary>
internal sealed class ConfigurationEngine(ReadOnlyMemory<byte> file, long syncOffset, bool bigEndian)
{
    private const uint NopWord = 0x20000000;

    private readonly List<ConfigPacket> _packets = [];
    private readonly List<RegisterWrite> _writes = [];
    private readonly List<FdriWrite> _fdriWrites = [];
    private readonly List<MultiFrameWrite> _multiFrameWrites = [];
    private readonly List<CrcCheck> _crcChecks = [];
    private ConfigCrc _crc;
    private int _session = 1;
    private int _nopsAfterDesync;

    // The register a type 2 packet continues: the one of the last type 1 header (UG470 "Type 2
    // Packet"). Only a type 2 right after that header is defined; after a NOP, a read or another
    // type 2 header the sources do not say, so it is refused.
    private int _lastType1Register = -1;
    private int _lastType1Opcode = -1;
    private string? _headerSinceType1;

    // FAR as the engine holds it; null until written in this stream (its value before is whatever
    // the last configuration left, which the stream does not say).
    private uint? _far;
    private bool _farSinceFrameWrite;

    // Frame data fed to the CRC since the last check or reset: a check that follows covers it; an
    // RCRC or the end of the stream before one leaves it unchecked.
    private long? _uncoveredSince;
    private long? _uncheckedFrameData;

    public Bitstream Run(BitstreamFormat format, BitstreamHeader? header, int payloadOffset)
    {
        var bytes = file.Span;
        var pos = syncOffset + 4;
        var synced = true;
        while (pos < bytes.Length)
        {
            var headerOffset = pos;
            var h = BitstreamReader.ReadWord(bytes, pos, bigEndian);
            pos += 4;
            if (!synced)
            {
                synced = AfterDesync(headerOffset, h);
                continue;
            }
            var type = h >> 29;
            var opcode = (int)((h >> 27) & 3);
            if (type == 1)
            {
                if ((h & 0x07FC1800) != 0)
                {
                    throw new BitstreamFormatException(headerOffset, $"expected a type 1 header with reserved bits 26:18 and 12:11 clear, found 0x{h:X8}");
                }
                var register = (int)((h >> 13) & 0x1F);
                var count = (int)(h & 0x7FF);
                if (opcode == (int)PacketOpcode.Nop)
                {
                    Nop(headerOffset, h, count, register);
                    continue;
                }
                _lastType1Register = register;
                _lastType1Opcode = opcode;
                _headerSinceType1 = null;
                synced = Packet(bytes, headerOffset, 1, opcode, register, count, ref pos);
            }
            else if (type == 2)
            {
                if (_lastType1Register < 0)
                {
                    throw new BitstreamFormatException(headerOffset, $"type 2 packet 0x{h:X8} has no preceding type 1 header to name its register");
                }
                if (_headerSinceType1 is { } between)
                {
                    throw new BitstreamFormatException(headerOffset, $"type 2 packet 0x{h:X8} does not follow its type 1 header directly ({between} comes between): UG470 does not say which register it then writes");
                }
                if (opcode != _lastType1Opcode)
                {
                    throw new BitstreamFormatException(headerOffset, $"type 2 packet 0x{h:X8} has opcode {opcode}, its type 1 header {_lastType1Opcode}: UG470 defines a type 2 packet only as the continuation of its type 1 header");
                }
                _headerSinceType1 = "another type 2 header";
                synced = Packet(bytes, headerOffset, 2, opcode, _lastType1Register, (int)(h & 0x07FFFFFF), ref pos);
            }
            else
            {
                throw new BitstreamFormatException(headerOffset, $"expected a type 1 or type 2 packet header, found 0x{h:X8} (type {type})");
            }
        }
        if (synced)
        {
            throw new BitstreamFormatException(bytes.Length, "the stream ends before CMD DESYNC: the file is truncated");
        }
        _uncheckedFrameData ??= _uncoveredSince;
        return new Bitstream(
            file, format, header, payloadOffset, syncOffset, _packets, _writes, _fdriWrites, _multiFrameWrites, _crcChecks,
            _session, _uncheckedFrameData, _nopsAfterDesync);
    }

    /// <summary>After DESYNC the engine ignores input until the next sync word (FORMAT-NOTES §2).</summary>
    /// <returns>True when the word resynchronizes the engine.</returns>
    private bool AfterDesync(long offset, uint word)
    {
        if (word == NopWord)
        {
            _nopsAfterDesync++;
            return false;
        }
        if (word == BitstreamReader.SyncWord)
        {
            _session++;
            _lastType1Register = -1;
            _headerSinceType1 = null;
            // Whether FAR keeps its value across DESYNC and a new sync is not documented: a new
            // session must write its own before any frame.
            _far = null;
            return true;
        }
        // Anything else could hold a sync word at a byte offset the port's bus width decides
        // (UG470 "Bus Width Auto Detection"); Vivado writes only NOPs here.
        throw new BitstreamFormatException(offset, $"after CMD DESYNC expected NOP words (20000000) or the sync word, found 0x{word:X8}: where the engine would resynchronize in other data is not documented");
    }

    private void Nop(long offset, uint h, int count, int register)
    {
        if (count != 0)
        {
            throw new BitstreamFormatException(offset, $"expected a NOP with no data words, found a word count of {count}");
        }
        if (register != 0)
        {
            throw new BitstreamFormatException(offset, $"expected the NOP header 0x{NopWord:X8}, found 0x{h:X8} naming register {ConfigNames.Register(register)}: whether a type 2 packet after it would write that register is not documented");
        }
        _headerSinceType1 ??= $"a NOP header at byte offset {offset}";
        if (_packets.Count > 0 && _packets[^1] is { Opcode: PacketOpcode.Nop } run)
        {
            _packets[^1] = run with { Repeat = run.Repeat + 1 };
        }
        else
        {
            _packets.Add(new ConfigPacket(offset, 1, PacketOpcode.Nop, 0, 0, []));
        }
    }

    /// <returns>False once CMD DESYNC has been written.</returns>
    private bool Packet(ReadOnlySpan<byte> bytes, long offset, int type, int opcode, int register, int count, ref long pos)
    {
        switch (opcode)
        {
            case (int)PacketOpcode.Read:
                // A read asks the device for words; none follow in the input stream.
                _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Read, register, count, []));
                return true;
            case (int)PacketOpcode.Write:
                break;
            case (int)PacketOpcode.Nop:
                throw new BitstreamFormatException(offset, "expected a type 2 write or read, found a type 2 NOP header, which UG470 does not define");
            default:
                throw new BitstreamFormatException(offset, "expected opcode NOP, read or write, found the reserved opcode 3");
        }

        var available = (bytes.Length - pos) / 4;
        if (count > available)
        {
            throw new BitstreamFormatException(offset, $"{ConfigNames.Register(register)} write declares {count} data words, but only {available} remain in the file");
        }
        if (register == (int)ConfigRegister.FDRI)
        {
            Frames(bytes, offset, type, count, pos);
            pos += count * 4L;
            return true;
        }

        var values = new uint[count];
        for (var i = 0; i < count; i++)
        {
            var wordOffset = pos;
            values[i] = BitstreamReader.ReadWord(bytes, pos, bigEndian);
            pos += 4;
            if (!Write(wordOffset, register, values[i], type) && i < count - 1)
            {
                throw new BitstreamFormatException(wordOffset, $"CMD DESYNC is followed by {count - 1 - i} more words in the same packet: whether the engine still applies them is not documented");
            }
        }
        _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Write, register, count, values));
        return !(register == (int)ConfigRegister.CMD && count > 0 && values[^1] == (uint)ConfigCommand.DESYNC);
    }

    /// <summary>FDRI data: whole frames, written from the FAR in effect, each fed to the CRC under address 2 (§7, §8).</summary>
    private void Frames(ReadOnlySpan<byte> bytes, long offset, int type, int count, long pos)
    {
        _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Write, (int)ConfigRegister.FDRI, count, []));
        if (count == 0)
        {
            return;
        }
        if (count % FdriWrite.FrameWords != 0)
        {
            throw new BitstreamFormatException(offset, $"expected FDRI data in whole {FdriWrite.FrameWords}-word frames, found {count} words");
        }
        var far = RequireFar(offset, "FDRI data");
        _fdriWrites.Add(new FdriWrite(new FrameAddress(far), count, pos, offset, type, _session));
        _crc.Feed(bytes.Slice((int)pos, count * 4), (int)ConfigRegister.FDRI, bigEndian);
        _uncoveredSince ??= pos;
    }

    /// <summary>
    /// Every frame write needs a FAR written after the previous one: inside a burst the engine
    /// auto-increments (§7), but where a second burst would continue after the first one's flush
    /// frame is not documented, nor is the FAR before the stream writes one.
    /// </summary>
    private uint RequireFar(long offset, string what)
    {
        if (_far is not { } far)
        {
            throw new BitstreamFormatException(offset, $"{what} before any FAR write: the frame it would go to is not in the stream");
        }
        if (!_farSinceFrameWrite)
        {
            throw new BitstreamFormatException(offset, $"{what} continues an earlier frame write without a new FAR write: where the engine's auto-incremented FAR would be after the flush frame is not documented");
        }
        _farSinceFrameWrite = false;
        return far;
    }

    /// <summary>The engine's reaction to one register write (FORMAT-NOTES §8 for the CRC).</summary>
    /// <returns>False when the write is CMD DESYNC.</returns>
    private bool Write(long offset, int register, uint value, int type)
    {
        _writes.Add(new RegisterWrite(offset, register, value, type, _session));
        if (register == (int)ConfigRegister.CRC)
        {
            _crcChecks.Add(new CrcCheck(offset, value, _crc.Value));
            _crc.Reset();
            _uncoveredSince = null;
            return true;
        }
        _crc.Feed(value, register);
        switch ((ConfigRegister)register)
        {
            case ConfigRegister.FAR:
                if ((value & 0xFC000000) != 0)
                {
                    throw new BitstreamFormatException(offset, $"FAR 0x{value:X8} sets reserved bits 31:26: which frame the engine would address is not documented");
                }
                _far = value;
                _farSinceFrameWrite = true;
                break;
            case ConfigRegister.MFWR:
                _multiFrameWrites.Add(new MultiFrameWrite(offset, new FrameAddress(RequireFar(offset, "MFWR (multi-frame write)"))));
                _uncoveredSince ??= offset;
                break;
            case ConfigRegister.CMD when value == (uint)ConfigCommand.RCRC:
                // A reset drops what was fed since the last check: frame data among it is never checked.
                _uncheckedFrameData ??= _uncoveredSince;
                _uncoveredSince = null;
                _crc.Reset();
                break;
            case ConfigRegister.CMD when value == (uint)ConfigCommand.DESYNC:
                return false;
        }
        return true;
    }
}
