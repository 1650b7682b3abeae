using System.Buffers.Binary;

namespace Dpr.Fabric.Mmio;

/// <summary>Simulated memory or registers: a byte array behind the same checks as <c>/dev/mem</c>.</summary>
public sealed class InMemoryWindow(ulong baseAddress, long length) : IMemoryWindow
{
    private readonly byte[] _bytes = new byte[length];
    private bool _disposed;

    public ulong BaseAddress { get; } = baseAddress;

    public long Length { get; } = length;

    public uint Read32(long offset) => BinaryPrimitives.ReadUInt32LittleEndian(Span(offset, 4, aligned: true));

    public void Write32(long offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Span(offset, 4, aligned: true), value);

    public void Read(long offset, Span<byte> destination) => Span(offset, destination.Length, aligned: false).CopyTo(destination);

    public void Write(long offset, ReadOnlySpan<byte> source) => source.CopyTo(Span(offset, source.Length, aligned: false));

    public void Dispose() => _disposed = true;

    private Span<byte> Span(long offset, int count, bool aligned)
    {
        var address = BaseAddress + (ulong)offset;
        if (_disposed)
        {
            throw new MmioException(address, "the memory window is closed");
        }
        if (offset < 0 || count < 0 || offset + count > Length)
        {
            throw new MmioException(address, $"access of {count} bytes at offset {offset} is outside the {Length}-byte window at 0x{BaseAddress:X8}");
        }
        if (aligned && offset % 4 != 0)
        {
            throw new MmioException(address, "32-bit register access must be 4-byte aligned");
        }
        return _bytes.AsSpan((int)offset, count);
    }
}
