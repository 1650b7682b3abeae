using System.Buffers.Binary;
using System.Text;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// Reads a <c>.bit</c>, a PYNQ <c>.bin</c> or a raw configuration stream (FORMAT-NOTES §11). Every
/// malformed input ends in a <see cref="BitstreamFormatException"/> with the byte offset; the work is
/// one pass over the file and the memory it keeps is bounded by the number of packets.
/// </summary>
public static class BitstreamReader
{
    public const uint SyncWord = 0xAA995566;
    private const uint NopWord = 0x20000000;

    /// <summary>00 09, 0F F0 0F F0 0F F0 0F F0 00, 00 01 (FORMAT-NOTES §1).</summary>
    private static ReadOnlySpan<byte> HeaderMagic => [0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x00, 0x00, 0x01];

    public static Bitstream ReadFile(string path) => Read(System.IO.File.ReadAllBytes(path));

    public static Bitstream Read(ReadOnlyMemory<byte> file)
    {
        var bytes = file.Span;
        BitstreamHeader? header = null;
        int payloadOffset;
        bool bigEndian;
        long syncOffset;
        if (bytes.StartsWith(HeaderMagic))
        {
            header = ReadHeader(bytes);
            payloadOffset = header.PayloadOffset;
            bigEndian = true;
            syncOffset = FindSync(bytes, payloadOffset, bigEndian)
                ?? throw new BitstreamFormatException(payloadOffset, "expected the sync word AA995566 in the .bit payload, found none");
        }
        else
        {
            if (bytes.Length < 4)
            {
                throw new BitstreamFormatException(bytes.Length, $"expected a .bit header or a configuration stream, found only {bytes.Length} bytes");
            }
            payloadOffset = 0;
            (syncOffset, bigEndian) = DetectByteOrder(bytes);
            if (bytes.Length % 4 != 0)
            {
                throw new BitstreamFormatException(bytes.Length - (bytes.Length % 4), $"expected a whole number of 32-bit words, found {bytes.Length % 4} trailing bytes");
            }
        }
        var format = header is not null ? BitstreamFormat.Bit : bigEndian ? BitstreamFormat.Raw : BitstreamFormat.Bin;
        return new PacketWalker(file, format, header, payloadOffset, syncOffset, bigEndian).Walk();
    }

    private static BitstreamHeader ReadHeader(ReadOnlySpan<byte> bytes)
    {
        var fields = new Dictionary<char, string>();
        var pos = HeaderMagic.Length;
        while (true)
        {
            if (pos >= bytes.Length)
            {
                throw new BitstreamFormatException(pos, "expected a header key ('a'..'e'), found the end of the file");
            }
            var key = (char)bytes[pos];
            if (key is < 'a' or > 'z')
            {
                throw new BitstreamFormatException(pos, $"expected a header key ('a'..'e'), found byte 0x{bytes[pos]:X2}");
            }
            if (key == 'e')
            {
                if (pos + 5 > bytes.Length)
                {
                    throw new BitstreamFormatException(pos + 1, "expected the 4-byte length of header field 'e', found the end of the file");
                }
                var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(pos + 1, 4));
                var payloadOffset = pos + 5;
                var actual = bytes.Length - payloadOffset;
                if (length != actual)
                {
                    throw new BitstreamFormatException(pos + 1, $"header field 'e' says the stream is {length} bytes, but {actual} bytes follow it");
                }
                if (length % 4 != 0)
                {
                    throw new BitstreamFormatException(pos + 1, $"header field 'e' gives {length} bytes, not a whole number of 32-bit words");
                }
                return new BitstreamHeader(
                    fields.GetValueOrDefault('a', ""), fields.GetValueOrDefault('b', ""),
                    fields.GetValueOrDefault('c', ""), fields.GetValueOrDefault('d', ""),
                    length, payloadOffset);
            }
            if (pos + 3 > bytes.Length)
            {
                throw new BitstreamFormatException(pos + 1, $"expected the 2-byte length of header field '{key}', found the end of the file");
            }
            int fieldLength = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(pos + 1, 2));
            if (pos + 3 + fieldLength > bytes.Length)
            {
                throw new BitstreamFormatException(pos + 1, $"header field '{key}' says it is {fieldLength} bytes, but only {bytes.Length - pos - 3} remain");
            }
            var value = bytes.Slice(pos + 3, fieldLength);
            var nul = value.IndexOf((byte)0);
            fields[key] = Encoding.ASCII.GetString(nul >= 0 ? value[..nul] : value);
            pos += 3 + fieldLength;
        }
    }

    private static long? FindSync(ReadOnlySpan<byte> bytes, int from, bool bigEndian)
    {
        for (var pos = from; pos + 4 <= bytes.Length; pos += 4)
        {
            if (ReadWord(bytes, pos, bigEndian) == SyncWord)
            {
                return pos;
            }
        }
        return null;
    }

    /// <summary>The byte order is the one in which the sync word first appears (FORMAT-NOTES §10).</summary>
    private static (long Offset, bool BigEndian) DetectByteOrder(ReadOnlySpan<byte> bytes)
    {
        for (var pos = 0; pos + 4 <= bytes.Length; pos += 4)
        {
            var word = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(pos, 4));
            if (word == SyncWord)
            {
                return (pos, true);
            }
            if (word == BinaryPrimitives.ReverseEndianness(SyncWord))
            {
                return (pos, false);
            }
        }
        throw new BitstreamFormatException(0, "expected a .bit header or the sync word AA995566 (either byte order) at a word boundary, found neither");
    }

    internal static uint ReadWord(ReadOnlySpan<byte> bytes, long pos, bool bigEndian)
    {
        var span = bytes.Slice((int)pos, 4);
        return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
    }

    /// <summary>The packet state machine: one instance per read, so its fields are the walk's state.</summary>
    private sealed class PacketWalker(
        ReadOnlyMemory<byte> file, BitstreamFormat format, BitstreamHeader? header, int payloadOffset, long syncOffset, bool bigEndian)
    {
        private readonly List<ConfigPacket> _packets = [];
        private readonly List<uint> _idCodes = [];
        private readonly List<uint> _commands = [];
        private readonly List<FrameAddress> _farWrites = [];
        private readonly List<FdriWrite> _fdriWrites = [];
        private readonly List<CrcCheck> _crcChecks = [];
        private ConfigCrc _crc;
        private uint _far;
        private int _nopsAfterDesync;

        public Bitstream Walk()
        {
            var bytes = file.Span;
            long pos = syncOffset + 4;
            var lastRegister = -1;
            var synced = true;
            while (pos < bytes.Length)
            {
                var headerOffset = pos;
                var h = ReadWord(bytes, pos, bigEndian);
                pos += 4;
                if (!synced)
                {
                    // After DESYNC the device ignores everything until the next sync word.
                    if (h == NopWord)
                    {
                        _nopsAfterDesync++;
                    }
                    else if (h == SyncWord)
                    {
                        synced = true;
                        lastRegister = -1;
                    }
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
                    lastRegister = register;
                    synced = Packet(bytes, headerOffset, 1, opcode, register, count, ref pos);
                }
                else if (type == 2)
                {
                    if (lastRegister < 0)
                    {
                        throw new BitstreamFormatException(headerOffset, $"type 2 packet 0x{h:X8} has no preceding type 1 header to name its register");
                    }
                    synced = Packet(bytes, headerOffset, 2, opcode, lastRegister, (int)(h & 0x07FFFFFF), ref pos);
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
            return new Bitstream(file, format, header, payloadOffset, syncOffset, _packets, _idCodes, _commands, _farWrites, _fdriWrites, _crcChecks, _nopsAfterDesync);
        }

        /// <returns>False once CMD DESYNC has been written.</returns>
        private bool Packet(ReadOnlySpan<byte> bytes, long offset, int type, int opcode, int register, int count, ref long pos)
        {
            switch (opcode)
            {
                case (int)PacketOpcode.Nop:
                    if (count != 0)
                    {
                        throw new BitstreamFormatException(offset, $"expected a NOP with no data words, found a word count of {count}");
                    }
                    if (_packets.Count > 0 && _packets[^1] is { Opcode: PacketOpcode.Nop } run && run.HeaderType == type)
                    {
                        _packets[^1] = run with { Repeat = run.Repeat + 1 };
                    }
                    else
                    {
                        _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Nop, 0, 0, []));
                    }
                    return true;
                case (int)PacketOpcode.Read:
                    // A read asks the device for words; none follow in the input stream.
                    _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Read, register, count, []));
                    return true;
                case (int)PacketOpcode.Write:
                    break;
                default:
                    throw new BitstreamFormatException(offset, "expected opcode NOP, read or write, found the reserved opcode 3");
            }

            var available = (bytes.Length - pos) / 4;
            if (count > available)
            {
                throw new BitstreamFormatException(offset, $"{ConfigNames.Register(register)} write declares {count} data words, but only {available} remain in the file");
            }
            if (register == (int)ConfigRegister.FDRI && count > 0)
            {
                if (count % FdriWrite.FrameWords != 0)
                {
                    throw new BitstreamFormatException(offset, $"expected FDRI data in whole {FdriWrite.FrameWords}-word frames, found {count} words");
                }
                _fdriWrites.Add(new FdriWrite(new FrameAddress(_far), count, pos));
            }
            if (type == 2 || register == (int)ConfigRegister.FDRI)
            {
                _crc.Feed(bytes.Slice((int)pos, count * 4), register, bigEndian);
                _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Write, register, count, []));
                pos += count * 4L;
                return true;
            }

            var values = new uint[count];
            var synced = true;
            for (var i = 0; i < count; i++)
            {
                var wordOffset = pos;
                var value = ReadWord(bytes, pos, bigEndian);
                pos += 4;
                values[i] = value;
                synced &= Write(wordOffset, register, value);
            }
            _packets.Add(new ConfigPacket(offset, type, PacketOpcode.Write, register, count, values));
            return synced;
        }

        /// <summary>The device's reaction to one register write (FORMAT-NOTES §8 for the CRC).</summary>
        private bool Write(long offset, int register, uint value)
        {
            if (register == (int)ConfigRegister.CRC)
            {
                _crcChecks.Add(new CrcCheck(offset, value, _crc.Value));
                _crc.Reset();
                return true;
            }
            _crc.Feed(value, register);
            switch ((ConfigRegister)register)
            {
                case ConfigRegister.IDCODE:
                    _idCodes.Add(value);
                    break;
                case ConfigRegister.FAR:
                    _far = value;
                    _farWrites.Add(new FrameAddress(value));
                    break;
                case ConfigRegister.CMD:
                    _commands.Add(value);
                    if (value == (uint)ConfigCommand.RCRC)
                    {
                        _crc.Reset();
                    }
                    return value != (uint)ConfigCommand.DESYNC;
            }
            return true;
        }
    }
}
