namespace Dpr.Fabric.Drivers;

/// <summary>
/// The Xilinx AXI DMA in direct register mode (PG021 v7.1, "Direct Register Mode Register Address
/// Map"; DMACR/DMASR bit positions from the MM2S_DMACR / MM2S_DMASR register details). The static
/// design streams module input and output through one of these, as PYNQ overlays do.
/// </summary>
public static class AxiDmaRegisters
{
    public const int Mm2sControl = 0x00;
    public const int Mm2sStatus = 0x04;
    public const int Mm2sSourceAddress = 0x18;
    public const int Mm2sLength = 0x28;
    public const int S2mmControl = 0x30;
    public const int S2mmStatus = 0x34;
    public const int S2mmDestinationAddress = 0x48;
    public const int S2mmLength = 0x58;

    /// <summary>The register window's size.</summary>
    public const int Span = 0x10000;

    /// <summary>DMACR bit 0: run/stop.</summary>
    public const uint ControlRun = 1u << 0;

    /// <summary>DMACR bit 2: soft reset.</summary>
    public const uint ControlReset = 1u << 2;

    /// <summary>DMASR bit 0: the channel is halted.</summary>
    public const uint StatusHalted = 1u << 0;

    /// <summary>DMASR bit 1: the channel is idle (its last transfer finished).</summary>
    public const uint StatusIdle = 1u << 1;

    /// <summary>DMASR bits 4-6: internal, slave and decode errors.</summary>
    public const uint StatusErrors = 0x70;

    /// <summary>DMASR bit 12: interrupt on complete (write 1 to clear).</summary>
    public const uint StatusIocIrq = 1u << 12;
}
