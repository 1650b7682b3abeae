using System.Buffers.Binary;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// Tensors as bytes, the layout of docs/convolution.md ("Memory layout"): little endian, two's
/// complement, P/8 bytes per input, weight or requantized output element, 8 per raw accumulator or
/// bias. The DMA buffers of a module and the HTTP API exchange exactly these bytes.
/// </summary>
public static class TensorBytes
{
    public static int Read(ReadOnlySpan<byte> bytes, long index, int width) => width switch
    {
        1 => (sbyte)bytes[(int)index],
        2 => BinaryPrimitives.ReadInt16LittleEndian(bytes[(int)(index * 2)..]),
        4 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(int)(index * 4)..]),
        _ => throw new ArgumentOutOfRangeException(nameof(width), width, "element widths are 1, 2 or 4 bytes"),
    };

    /// <summary>Writes the low <paramref name="width"/> bytes of <paramref name="value"/> (callers pass values in range).</summary>
    public static void Write(Span<byte> bytes, long index, int width, int value)
    {
        switch (width)
        {
            case 1:
                bytes[(int)index] = (byte)value;
                break;
            case 2:
                BinaryPrimitives.WriteInt16LittleEndian(bytes[(int)(index * 2)..], (short)value);
                break;
            case 4:
                BinaryPrimitives.WriteInt32LittleEndian(bytes[(int)(index * 4)..], value);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(width), width, "element widths are 1, 2 or 4 bytes");
        }
    }

    public static byte[] Encode(ReadOnlySpan<int> values, int width)
    {
        var bytes = new byte[values.Length * width];
        Encode(values, width, bytes);
        return bytes;
    }

    /// <summary>Encodes <paramref name="values"/> into the first <c>values.Length * width</c> bytes of <paramref name="bytes"/>.</summary>
    public static void Encode(ReadOnlySpan<int> values, int width, Span<byte> bytes)
    {
        for (var i = 0; i < values.Length; i++)
        {
            Write(bytes, i, width, values[i]);
        }
    }

    public static int[] Decode(ReadOnlySpan<byte> bytes, int width)
    {
        var values = new int[bytes.Length / width];
        Decode(bytes, width, values);
        return values;
    }

    /// <summary>Decodes the first <c>values.Length</c> elements of <paramref name="bytes"/> into <paramref name="values"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> bytes, int width, Span<int> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Read(bytes, i, width);
        }
    }

    public static byte[] EncodeRaw(ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * 8];
        EncodeRaw(values, bytes);
        return bytes;
    }

    /// <summary>Encodes <paramref name="values"/> into the first <c>values.Length * 8</c> bytes of <paramref name="bytes"/>.</summary>
    public static void EncodeRaw(ReadOnlySpan<long> values, Span<byte> bytes)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes[(i * 8)..], values[i]);
        }
    }

    public static long[] DecodeRaw(ReadOnlySpan<byte> bytes)
    {
        var values = new long[bytes.Length / 8];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
        }
        return values;
    }
}
