using Dpr.Fabric.Drivers;
using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// An AXI DMA in direct register mode (PG021): writing MM2S_LENGTH reads that many bytes from DDR
/// into the stream to the module; writing S2MM_LENGTH arms the stream back into DDR. The module
/// calls <see cref="Complete"/> with its output, which lands at S2MM_DA.
/// </summary>
public sealed class SimulatedAxiDma : SimulatedRegisters
{
    /// <summary>DMASR bit 4, DMAIntErr.</summary>
    private const uint InternalError = 0x10;

    private readonly IMemoryWindow _ddr;

    public SimulatedAxiDma(ulong baseAddress, IMemoryWindow ddr)
        : base(baseAddress, AxiDmaRegisters.Span)
    {
        _ddr = ddr;
        Store(AxiDmaRegisters.Mm2sStatus, AxiDmaRegisters.StatusHalted);
        Store(AxiDmaRegisters.S2mmStatus, AxiDmaRegisters.StatusHalted);
    }

    /// <summary>Raised with the bytes an MM2S transfer put on the stream.</summary>
    public event Action<byte[]>? Streamed;

    /// <summary>Bytes S2MM may still accept; null when not armed.</summary>
    public long? S2mmCapacity { get; private set; }

    /// <summary>The module's output stream ends: write it to S2MM_DA and finish both channels.</summary>
    public void Complete(ReadOnlySpan<byte> output)
    {
        if (S2mmCapacity is not { } capacity || output.Length > capacity)
        {
            Store(AxiDmaRegisters.S2mmStatus, Stored(AxiDmaRegisters.S2mmStatus) | InternalError);
            return;
        }
        _ddr.Write(DdrOffset(Stored(AxiDmaRegisters.S2mmDestinationAddress)), output);
        Store(AxiDmaRegisters.S2mmLength, (uint)output.Length);
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
                var input = new byte[value];
                _ddr.Read(DdrOffset(Stored(AxiDmaRegisters.Mm2sSourceAddress)), input);
                Store(AxiDmaRegisters.Mm2sStatus, AxiDmaRegisters.StatusIdle | AxiDmaRegisters.StatusIocIrq);
                Streamed?.Invoke(input);
                break;
            case AxiDmaRegisters.S2mmLength when value != 0:
                Store(offset, value);
                if (Start(AxiDmaRegisters.S2mmStatus))
                {
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
