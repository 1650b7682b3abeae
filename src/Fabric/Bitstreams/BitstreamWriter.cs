using System.Buffers.Binary;
using System.Text;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// Writes a configuration stream packet by packet, keeping the running CRC as the device would, so
/// every CRC word it emits is right (FORMAT-NOTES §3, §8). <see cref="ToBit"/> adds the TLV header.
/// </summary>
public sealed class BitstreamWriter
{
    private const uint Nop = 0x20000000;
    private readonly List<uint> _words = [];
    private ConfigCrc _crc;

    /// <summary>Vivado's preamble: 8 dummy words, the bus-width pattern, 2 dummy words, the sync word (§2).</summary>
    public BitstreamWriter Preamble()
    {
        for (var i = 0; i < 8; i++)
        {
            _words.Add(0xFFFFFFFF);
        }
        _words.AddRange([0x000000BB, 0x11220044, 0xFFFFFFFF, 0xFFFFFFFF, BitstreamReader.SyncWord]);
        return this;
    }

    public BitstreamWriter Nops(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _words.Add(Nop);
        }
        return this;
    }

    /// <summary>A type 1 write of one or more words to <paramref name="register"/>.</summary>
    public BitstreamWriter Write(ConfigRegister register, params uint[] values)
    {
        _words.Add(Type1Write(register, values.Length));
        foreach (var v in values)
        {
            _words.Add(v);
            Feed(v, register);
        }
        return this;
    }

    public BitstreamWriter Command(ConfigCommand command) => Write(ConfigRegister.CMD, (uint)command);

    /// <summary>Writes the expected CRC (the running value) and resets it, as the device does on a check.</summary>
    public BitstreamWriter Crc()
    {
        _words.Add(Type1Write(ConfigRegister.CRC, 1));
        _words.Add(_crc.Value);
        _crc.Reset();
        return this;
    }

    /// <summary>A frame burst the way Vivado writes it: a type 1 FDRI header with no words, then a type 2 header (§3).</summary>
    public BitstreamWriter Frames(ReadOnlySpan<uint> words)
    {
        if (words.Length % FdriWrite.FrameWords != 0)
        {
            throw new ArgumentException($"frame data must be whole {FdriWrite.FrameWords}-word frames, found {words.Length} words", nameof(words));
        }
        _words.Add(Type1Write(ConfigRegister.FDRI, 0));
        // Type 2 (bits 31:29 = 010), opcode write (28:27 = 10), word count in 26:0.
        _words.Add(0x50000000u | (uint)words.Length);
        foreach (var w in words)
        {
            _words.Add(w);
            Feed(w, ConfigRegister.FDRI);
        }
        return this;
    }

    /// <summary>The big-endian stream (a raw bitstream, or a <c>.bit</c> payload).</summary>
    public byte[] ToRaw()
    {
        var bytes = new byte[_words.Count * 4];
        for (var i = 0; i < _words.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), _words[i]);
        }
        return bytes;
    }

    /// <summary>A <c>.bit</c> file: the TLV header (fields a..d, then e with the payload length, §1) and the stream.</summary>
    public byte[] ToBit(string designInfo, string part, string date, string time)
    {
        var payload = ToRaw();
        var header = new List<byte> { 0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x00, 0x00, 0x01 };
        foreach (var (key, value) in new[] { ('a', designInfo), ('b', part), ('c', date), ('d', time) })
        {
            var text = Encoding.ASCII.GetBytes(value + "\0");
            header.Add((byte)key);
            header.Add((byte)(text.Length >> 8));
            header.Add((byte)text.Length);
            header.AddRange(text);
        }
        header.Add((byte)'e');
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)payload.Length);
        header.AddRange(length);
        return [.. header, .. payload];
    }

    private void Feed(uint value, ConfigRegister register)
    {
        _crc.Feed(value, (int)register);
        if (register == ConfigRegister.CMD && value == (uint)ConfigCommand.RCRC)
        {
            _crc.Reset();
        }
    }

    private static uint Type1Write(ConfigRegister register, int count) =>
        0x30000000u | ((uint)register << 13) | (uint)count;
}
