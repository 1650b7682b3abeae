using Dpr.Fabric.Drivers;
using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// An AXI DMA in direct register mode (PG021): writing MM2S_LENGTH starts a stream of that many bytes
/// from DDR at MM2S_SA, which the module reads in order (<see cref="ReadStream"/>); writing S2MM_LENGTH
/// arms the stream back into DDR at S2MM_DA, which the module writes in order (<see cref="WriteStream"/>)
/// and ends (<see cref="Complete"/>). Both read and write DDR as they go, as the board's DMA does: it
/// holds no copy of a stream.
/// </summary>
public sealed class SimulatedAxiDma : SimulatedRegisters
{
    /// <summary>DMASR bit 4, DMAIntErr.</summary>
    private const uint InternalError = 0x10;

    private readonly IMemoryWindow _ddr;
    private long _mm2sRead;
    private long _s2mmWritten;

    public SimulatedAxiDma(ulong baseAddress, IMemoryWindow ddr)
        : base(baseAddress, AxiDmaRegisters.Span)
    {
        _ddr = ddr;
        Store(AxiDmaRegisters.Mm2sStatus, AxiDmaRegisters.StatusHalted);
        Store(AxiDmaRegisters.S2mmStatus, AxiDmaRegisters.StatusHalted);
    }

    /// <summary>Raised when an MM2S transfer starts; the module reads it with <see cref="ReadStream"/>.</summary>
    public event Action? Streamed;

    /// <summary>Bytes of the MM2S stream not read yet.</summary>
    public long Mm2sRemaining { get; private set; }

    /// <summary>Bytes S2MM accepts in all; null when not armed.</summary>
    public long? S2mmCapacity { get; private set; }

    /// <summary>The next bytes of the MM2S stream, from DDR; the channel is idle once the last is read.</summary>
    /// <exception cref="InvalidOperationException">Fewer bytes remain: the module read past what it was configured for.</exception>
    public void ReadStream(Span<byte> destination)
    {
        if (destination.Length > Mm2sRemaining)
        {
            throw new InvalidOperationException($"the MM2S stream has {Mm2sRemaining} bytes left, {destination.Length} were read");
        }
        _ddr.Read(DdrOffset(Stored(AxiDmaRegisters.Mm2sSourceAddress)) + _mm2sRead, destination);
        _mm2sRead += destination.Length;
        Mm2sRemaining -= destination.Length;
        if (Mm2sRemaining == 0)
        {
            Store(AxiDmaRegisters.Mm2sStatus, AxiDmaRegisters.StatusIdle | AxiDmaRegisters.StatusIocIrq);
        }
    }

    /// <summary>The next bytes of the module's output, to DDR after those written before.</summary>
    /// <returns>False, with nothing written and DMAIntErr set, when S2MM is not armed for that many bytes.</returns>
    public bool WriteStream(ReadOnlySpan<byte> source)
    {
        if (S2mmCapacity is not { } capacity || source.Length > capacity - _s2mmWritten)
        {
            Store(AxiDmaRegisters.S2mmStatus, Stored(AxiDmaRegisters.S2mmStatus) | InternalError);
            return false;
        }
        _ddr.Write(DdrOffset(Stored(AxiDmaRegisters.S2mmDestinationAddress)) + _s2mmWritten, source);
        _s2mmWritten += source.Length;
        return true;
    }

    /// <summary>The module's output stream ends: S2MM_LENGTH reads the bytes written and the channel is idle.</summary>
    public void Complete()
    {
        Store(AxiDmaRegisters.S2mmLength, (uint)_s2mmWritten);
        Store(AxiDmaRegisters.S2mmStatus, AxiDmaRegisters.StatusIdle | AxiDmaRegisters.StatusIocIrq);
        S2mmCapacity = null;
    }

    protected override void OnWrite(long offset, uint value)
    {
        switch ((int)offset)
        {
            case AxiDmaRegisters.Mm2sControl or AxiDmaRegisters.S2mmControl:
                Store(offset, value & ~AxiDmaRegisters.ControlReset);
                var status = (int)offset + 4;
                Store(status, (value & AxiDmaRegisters.ControlRun) != 0
                    ? Stored(status) & ~AxiDmaRegisters.StatusHalted
                    : Stored(status) | AxiDmaRegisters.StatusHalted);
                break;
            case AxiDmaRegisters.Mm2sStatus or AxiDmaRegisters.S2mmStatus:
                // Interrupt bits are write-one-to-clear.
                Store(offset, Stored(offset) & ~(value & AxiDmaRegisters.StatusIocIrq));
                break;
            case AxiDmaRegisters.Mm2sLength when value != 0:
                Store(offset, value);
                if (!Start(AxiDmaRegisters.Mm2sStatus))
                {
                    break;
                }
                _mm2sRead = 0;
                Mm2sRemaining = value;
                Streamed?.Invoke();
                break;
            case AxiDmaRegisters.S2mmLength when value != 0:
                Store(offset, value);
                if (Start(AxiDmaRegisters.S2mmStatus))
                {
                    _s2mmWritten = 0;
                    S2mmCapacity = value;
                }
                break;
            default:
                Store(offset, value);
                break;
        }
    }

    /// <returns>False when the channel is halted: PG021 makes a transfer started then a DMA internal error.</returns>
    private bool Start(int statusOffset)
    {
        if ((Stored(statusOffset) & AxiDmaRegisters.StatusHalted) != 0)
        {
            Store(statusOffset, Stored(statusOffset) | InternalError);
            return false;
        }
        Store(statusOffset, Stored(statusOffset) & ~AxiDmaRegisters.StatusIdle);
        return true;
    }

    private long DdrOffset(uint address) => (long)(address - _ddr.BaseAddress);
}
