using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// A simulated peripheral: a register window whose 32-bit writes the peripheral reacts to. Block
/// reads and writes are refused, as an AXI4-Lite slave would refuse bursts.
/// </summary>
public abstract class SimulatedRegisters(ulong baseAddress, long length) : IMemoryWindow
{
    private readonly InMemoryWindow _registers = new(baseAddress, length);
    private readonly object _lock = new();

    public ulong BaseAddress => _registers.BaseAddress;

    public long Length => _registers.Length;

    public uint Read32(long offset)
    {
        lock (_lock)
        {
            return OnRead(offset, _registers.Read32(offset));
        }
    }

    public void Write32(long offset, uint value)
    {
        lock (_lock)
        {
            _registers.Read32(offset);
            OnWrite(offset, value);
        }
    }

    public void Read(long offset, Span<byte> destination) =>
        throw new MmioException(BaseAddress + (ulong)offset, "register windows take 32-bit accesses only");

    public void Write(long offset, ReadOnlySpan<byte> source) =>
        throw new MmioException(BaseAddress + (ulong)offset, "register windows take 32-bit accesses only");

    public void Dispose()
    {
    }

    /// <summary>The value a read returns; by default what is stored.</summary>
    protected virtual uint OnRead(long offset, uint stored) => stored;

    /// <summary>Reacts to a write; by default stores it. Called under the peripheral's lock.</summary>
    protected virtual void OnWrite(long offset, uint value) => Store(offset, value);

    protected void Store(long offset, uint value) => _registers.Write32(offset, value);

    protected uint Stored(long offset) => _registers.Read32(offset);
}
