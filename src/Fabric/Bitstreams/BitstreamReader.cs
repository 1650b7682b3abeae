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
        CheckPreamble(bytes, payloadOffset, syncOffset, bigEndian);
        var format = header is not null ? BitstreamFormat.Bit : bigEndian ? BitstreamFormat.Raw : BitstreamFormat.Bin;
        return new ConfigurationEngine(file, syncOffset, bigEndian).Run(format, header, payloadOffset);
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

    /// <summary>
    /// Before the sync word only dummy words and the bus-width pattern may appear (FORMAT-NOTES §2;
    /// UG470 "Bus Width Auto Detection"): other bytes could hold a sync word at an offset that only
    /// the port's bus width decides, and then the engine would read a different stream than dpr.
    /// </summary>
    private static void CheckPreamble(ReadOnlySpan<byte> bytes, int from, long syncOffset, bool bigEndian)
    {
        for (long pos = from; pos < syncOffset; pos += 4)
        {
            var word = ReadWord(bytes, pos, bigEndian);
            if (word is not (0xFFFFFFFF or 0x000000BB or 0x11220044))
            {
                throw new BitstreamFormatException(pos, $"before the sync word expected dummy words FFFFFFFF or the bus-width pattern 000000BB 11220044, found 0x{word:X8}");
            }
        }
    }

    internal static uint ReadWord(ReadOnlySpan<byte> bytes, long pos, bool bigEndian)
    {
        var span = bytes.Slice((int)pos, 4);
        return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
    }
}
