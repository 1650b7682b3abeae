using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The running CRC of a 7-series configuration stream (FORMAT-NOTES §8, after prjxray's
/// <c>icap_crc</c>): reflected CRC-32C (polynomial 0x82F63B78), initial value 0, no final XOR, fed
/// 37 bits per data word written: the 32 data bits then the 5 register-address bits, LSB first.
/// </summary>
/// <remarks>
/// The fast path packs the 37-bit messages into a 64-bit bit buffer and feeds whole 64-bit words to
/// the CRC-32C instruction (SSE4.2 <c>crc32</c>, ARMv8 <c>crc32cx</c>), so one instruction carries
/// 64 message bits; left-over bits go through the same instruction per byte and a bit loop. Without
/// those instructions a slicing table does the bytes. Equal, bit for bit, to <see cref="FeedBitwise"/>.
/// </remarks>
public struct ConfigCrc
{
    internal const uint Polynomial = 0x82F63B78;

    private static readonly uint[] ByteTable = BuildByteTable();

    private uint _crc;
    private ulong _bits;
    private int _count;

    /// <summary>The CRC of everything fed since the last reset.</summary>
    public uint Value
    {
        get
        {
            Flush();
            return _crc;
        }
    }

    public void Reset()
    {
        _crc = 0;
        _bits = 0;
        _count = 0;
    }

    /// <summary>Feeds one data word written to <paramref name="register"/> (5-bit address).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Feed(uint word, int register)
    {
        var message = word | ((ulong)(register & 0x1F) << 32);
        _bits |= message << _count;
        _count += 37;
        if (_count >= 64)
        {
            _crc = Crc64(_crc, _bits);
            _count -= 64;
            // The part of the message that did not fit; shifting by 37 - _count is in 1..37.
            _bits = message >> (37 - _count);
        }
    }

    /// <summary>
    /// Feeds <paramref name="bytes"/>, a whole number of 32-bit words in the given byte order, all
    /// written to one register: the hot loop of FDRI data, kept in locals so they stay in registers.
    /// </summary>
    public void Feed(ReadOnlySpan<byte> bytes, int register, bool bigEndian)
    {
        var crc = _crc;
        var bits = _bits;
        var count = _count;
        var address = (ulong)(register & 0x1F) << 32;
        ref var start = ref MemoryMarshal.GetReference(bytes);
        var n = bytes.Length & ~3;
        for (var i = 0; i < n; i += 4)
        {
            var raw = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            var word = bigEndian == BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
            var message = word | address;
            bits |= message << count;
            count += 37;
            if (count >= 64)
            {
                crc = Crc64(crc, bits);
                count -= 64;
                bits = message >> (37 - count);
            }
        }
        _crc = crc;
        _bits = bits;
        _count = count;
    }

    /// <summary>The definition: one message bit at a time (FORMAT-NOTES §8). The benchmark's baseline.</summary>
    public static uint FeedBitwise(uint crc, uint word, int register)
    {
        var v = word | ((ulong)(register & 0x1F) << 32);
        for (var i = 0; i < 37; i++)
        {
            var b = (crc ^ (uint)v) & 1;
            crc >>= 1;
            if (b != 0)
            {
                crc ^= Polynomial;
            }
            v >>= 1;
        }
        return crc;
    }

    private void Flush()
    {
        while (_count >= 8)
        {
            _crc = Crc8(_crc, (byte)_bits);
            _bits >>= 8;
            _count -= 8;
        }
        for (; _count > 0; _count--)
        {
            var b = (_crc ^ (uint)_bits) & 1;
            _crc = (_crc >> 1) ^ (b != 0 ? Polynomial : 0);
            _bits >>= 1;
        }
        _bits = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Crc64(uint crc, ulong data)
    {
        if (Sse42.X64.IsSupported)
        {
            return (uint)Sse42.X64.Crc32(crc, data);
        }
        if (Crc32.Arm64.IsSupported)
        {
            return Crc32.Arm64.ComputeCrc32C(crc, data);
        }
        if (Sse42.IsSupported)
        {
            return Sse42.Crc32(Sse42.Crc32(crc, (uint)data), (uint)(data >> 32));
        }
        if (Crc32.IsSupported)
        {
            return Crc32.ComputeCrc32C(Crc32.ComputeCrc32C(crc, (uint)data), (uint)(data >> 32));
        }
        return PortableCrc64(crc, data);
    }

    internal static uint PortableCrc64(uint crc, ulong data)
    {
        for (var i = 0; i < 8; i++)
        {
            crc = (crc >> 8) ^ ByteTable[(byte)(crc ^ (uint)data)];
            data >>= 8;
        }
        return crc;
    }

    private static uint Crc8(uint crc, byte data) => (crc >> 8) ^ ByteTable[(byte)(crc ^ data)];

    private static uint[] BuildByteTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
