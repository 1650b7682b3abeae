using System.Buffers.Binary;
using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>
/// A real Vivado partial as its words, edited packet by packet; <see cref="Build"/> recomputes every
/// CRC word the way FORMAT-NOTES §8 defines it (fed per data word with the register of the packet
/// that carries it, type 2 continuing its type 1 header; reset by each CRC write and by RCRC), so a
/// crafted file fails only for what was changed, never for a stale CRC. The packet walk here is
/// deliberately simple and separate from the reader under test.
/// </summary>
public sealed class CraftedPartial
{
    public const uint Sync = 0xAA995566;
    public const uint Nop = 0x20000000;

    private readonly byte[] _head;

    public CraftedPartial(string fixture)
    {
        var bytes = Fixtures.Bytes(fixture);
        var payloadOffset = BitstreamReader.Read(bytes).PayloadOffset;
        _head = bytes[..payloadOffset];
        Words = [];
        for (var pos = payloadOffset; pos < bytes.Length; pos += 4)
        {
            Words.Add(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos, 4)));
        }
    }

    public List<uint> Words { get; }

    public static uint Type1Write(ConfigRegister register, int count) => 0x30000000u | ((uint)register << 13) | (uint)count;

    public static uint Type2Write(int count) => 0x50000000u | (uint)count;

    /// <summary>Byte offset in the built file of word <paramref name="index"/>.</summary>
    public long OffsetOf(int index) => _head.Length + (4L * index);

    /// <summary>The packets after the first sync word: header index, header type, register, data words.</summary>
    public IEnumerable<(int Index, int Type, int Register, int Count)> Packets()
    {
        var i = Words.IndexOf(Sync) + 1;
        var register = -1;
        while (i < Words.Count)
        {
            var h = Words[i];
            var type = (int)(h >> 29);
            var opcode = (h >> 27) & 3;
            if (type == 1)
            {
                register = (int)((h >> 13) & 0x1F);
            }
            var count = opcode == 2 ? (int)(type == 1 ? h & 0x7FF : h & 0x07FFFFFF) : 0;
            yield return (i, type, register, count);
            if (type == 1 && register == (int)ConfigRegister.CMD && count == 1 && i + 1 < Words.Count && Words[i + 1] == (uint)ConfigCommand.DESYNC)
            {
                yield break;
            }
            i += 1 + count;
        }
    }

    /// <summary>Index of the header of the <paramref name="occurrence"/>-th type 1 write to <paramref name="register"/> (whose first word is <paramref name="value"/>, if given).</summary>
    public int Header(ConfigRegister register, uint? value = null, int occurrence = 0) =>
        Packets().Where(p => p.Type == 1 && p.Register == (int)register && p.Count > 0 && (value is null || Words[p.Index + 1] == value))
            .Skip(occurrence).First().Index;

    /// <summary>Index of the type 2 header of the <paramref name="burst"/>-th FDRI burst (0 is the CFG_CLB mask burst).</summary>
    public int Burst(int burst) => Packets().Where(p => p.Type == 2 && p.Register == (int)ConfigRegister.FDRI).Skip(burst).First().Index;

    public CraftedPartial Replace(int index, int count, params uint[] words)
    {
        Words.RemoveRange(index, count);
        Words.InsertRange(index, words);
        return this;
    }

    public CraftedPartial Insert(int index, params uint[] words) => Replace(index, 0, words);

    /// <summary>The .bit file, every CRC word recomputed and the header's <c>e</c> length updated.</summary>
    public byte[] Build()
    {
        FixCrcs();
        return Bytes();
    }

    /// <summary>The .bit file as edited, CRC words untouched.</summary>
    public byte[] Bytes()
    {
        var bytes = new byte[_head.Length + (Words.Count * 4)];
        _head.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(_head.Length - 4), (uint)(Words.Count * 4));
        for (var i = 0; i < Words.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(_head.Length + (i * 4)), Words[i]);
        }
        return bytes;
    }

    private void FixCrcs()
    {
        var crc = default(ConfigCrc);
        var register = -1;
        var synced = false;
        for (var i = 0; i < Words.Count; i++)
        {
            var h = Words[i];
            if (!synced)
            {
                synced = h == Sync;
                continue;
            }
            var type = h >> 29;
            if (type == 1)
            {
                register = (int)((h >> 13) & 0x1F);
            }
            if (((h >> 27) & 3) != 2 || type is not (1 or 2))
            {
                continue;
            }
            var count = (int)(type == 1 ? h & 0x7FF : h & 0x07FFFFFF);
            for (var k = i + 1; k <= i + count && k < Words.Count; k++)
            {
                if (register == (int)ConfigRegister.CRC)
                {
                    Words[k] = crc.Value;
                    crc.Reset();
                    continue;
                }
                crc.Feed(Words[k], register);
                if (register == (int)ConfigRegister.CMD && Words[k] == (uint)ConfigCommand.RCRC)
                {
                    crc.Reset();
                }
                if (register == (int)ConfigRegister.CMD && Words[k] == (uint)ConfigCommand.DESYNC)
                {
                    synced = false;
                }
            }
            i += count;
        }
    }
}
