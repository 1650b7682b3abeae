using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The <c>.bin</c> that PYNQ writes to <c>/lib/firmware</c> for the Linux fpga_manager: the
/// <c>.bit</c> payload without its header, every 32-bit word byte-swapped (PYNQ
/// <c>embedded_device.py</c> <c>bit2bin</c>; FORMAT-NOTES §10). And back: the big-endian raw stream.
/// </summary>
public static class BinConverter
{
    /// <summary>The fpga_manager image of <paramref name="bitstream"/>, whatever form it was read from.</summary>
    public static byte[] ToBin(Bitstream bitstream) =>
        bitstream.Format == BitstreamFormat.Bin ? bitstream.Payload.ToArray() : Swap(bitstream.Payload.Span);

    /// <summary>The big-endian configuration stream (a <c>.bit</c> payload), whatever form it was read from.</summary>
    public static byte[] ToRaw(Bitstream bitstream) =>
        bitstream.Format == BitstreamFormat.Bin ? Swap(bitstream.Payload.Span) : bitstream.Payload.ToArray();

    /// <summary>Swaps the bytes of each 32-bit word into <paramref name="destination"/>; both a whole number of words.</summary>
    public static void Swap(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length % 4 != 0 || destination.Length < source.Length)
        {
            throw new ArgumentException($"expected a whole number of 32-bit words and room for them, found {source.Length} bytes into {destination.Length}");
        }
        BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(destination));
    }

    private static byte[] Swap(ReadOnlySpan<byte> source)
    {
        var result = new byte[source.Length];
        Swap(source, result);
        return result;
    }
}
