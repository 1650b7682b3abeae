namespace Dpr.Fabric.Ports;

/// <summary>
/// The AXI HWICAP register map and bits (PG134 "Register Space"; the same offsets and masks as the
/// Xilinx standalone driver's <c>xhwicap_l.h</c>). Offsets are from the core's base address.
/// </summary>
public static class HwicapRegisters
{
    /// <summary>Write FIFO keyhole: each 32-bit write queues one configuration word.</summary>
    public const long WriteFifo = 0x100;

    /// <summary>Control register.</summary>
    public const long Control = 0x10C;

    /// <summary>Status register.</summary>
    public const long Status = 0x110;

    /// <summary>Write FIFO vacancy: how many more words the FIFO takes.</summary>
    public const long WriteFifoVacancy = 0x114;

    /// <summary>The registers' span this port maps (up to the abort status register at 0x11C).</summary>
    public const long Span = 0x120;

    /// <summary>CR bit 0: move the write FIFO's words to the ICAP; the core clears it when the FIFO is empty.</summary>
    public const uint ControlWrite = 0x1;

    /// <summary>CR bit 2: empty the FIFOs.</summary>
    public const uint ControlFifoClear = 0x4;

    /// <summary>CR bit 3: software reset of the core (registers and FIFOs).</summary>
    public const uint ControlReset = 0x8;

    /// <summary>CR bit 4: abort the ICAP read or write under way (the ICAP abort sequence).</summary>
    public const uint ControlAbort = 0x10;

    /// <summary>SR bit 0: the last transfer is done (the core is idle).</summary>
    public const uint StatusDone = 0x1;

    /// <summary>SR bit 2: end of startup.</summary>
    public const uint StatusEos = 0x4;

    /// <summary>SR bit 5, active low: the ICAP is in an abort.</summary>
    public const uint StatusInAbortN = 0x20;

    /// <summary>SR bit 8, active low: the configuration logic reported an error (IDCODE, CRC).</summary>
    public const uint StatusConfigErrorN = 0x100;
}
