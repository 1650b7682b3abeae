namespace Dpr.Fabric.Mmio;

/// <summary>
/// A window onto physical memory or registers: <c>/dev/mem</c> on the board, an array in
/// simulation. Offsets are relative to <see cref="BaseAddress"/>; every access is checked for bounds
/// and 4-byte alignment and fails with <see cref="MmioException"/>.
/// </summary>
public interface IMemoryWindow : IDisposable
{
    ulong BaseAddress { get; }

    long Length { get; }

    uint Read32(long offset);

    void Write32(long offset, uint value);

    void Read(long offset, Span<byte> destination);

    void Write(long offset, ReadOnlySpan<byte> source);
}
