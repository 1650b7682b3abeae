using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Boards;

/// <summary>
/// The Zynq-7000 DEVCFG CTRL register (offset 0x0 of DEVCFG at 0xF8007000, UG585 Appendix B): bit 27
/// <c>PCAP_PR</c> selects who may write the configuration engine after the initial configuration —
/// 1 the PCAP (the processor, what Linux's fpga_manager uses), 0 the ICAP (the fabric, where the SEM
/// controller scans). Linux's zynq-fpga driver sets it in <c>write_init</c> and clears it again in
/// <c>write_complete</c> ("Release 'PR' control back to the ICAP", drivers/fpga/zynq-fpga.c).
/// </summary>
/// <remarks>
/// Read-modify-write only, never a constant: CTRL also holds <c>PCFG_PROG_B</c> (bit 30), and a 0 there
/// resets the whole PL (UG585 "PL Configuration"). Each change is read back, so a register that does not
/// take the write (DEVCFG locked, wrong address) is an error, not a silent success.
/// </remarks>
public sealed class DevcfgControl
{
    /// <summary>CTRL's offset in DEVCFG (UG585 Appendix B, devcfg.CTRL).</summary>
    public const long CtrlOffset = 0x0;

    /// <summary>CTRL.PCAP_PR, bit 27: 1 = PCAP, 0 = ICAP (UG585; <c>CTRL_PCAP_PR_MASK BIT(27)</c> in zynq-fpga.c).</summary>
    public const uint PcapPr = 1u << 27;

    /// <summary>CTRL.PCFG_PROG_B, bit 30: writing 0 clears the PL (UG585).</summary>
    public const uint PcfgProgB = 1u << 30;

    private readonly Lazy<IMemoryWindow> _window;

    /// <param name="window">A window that holds DEVCFG's CTRL at <paramref name="address"/>.</param>
    public DevcfgControl(IMemoryWindow window, ulong address)
        : this(new Lazy<IMemoryWindow>(window), address)
    {
    }

    private DevcfgControl(Lazy<IMemoryWindow> window, ulong address)
    {
        _window = window;
        Address = address;
    }

    public ulong Address { get; }

    /// <summary>True while CTRL.PCAP_PR gives the configuration engine to the PCAP.</summary>
    public bool PcapSelected => (Window.Read32(Ctrl) & PcapPr) != 0;

    private IMemoryWindow Window => _window.Value;

    private long Ctrl => (long)(Address - Window.BaseAddress) + CtrlOffset;

    /// <summary>DEVCFG through <paramref name="memory"/>, mapped at its first use (a board without SEM never touches it).</summary>
    public static DevcfgControl Open(IPhysicalMemory memory, ulong address) => new(new Lazy<IMemoryWindow>(() => memory.Map(address + CtrlOffset, 4)), address);

    /// <summary>Gives the configuration engine to the PCAP (CTRL.PCAP_PR = 1).</summary>
    public void SelectPcap() => Set(true);

    /// <summary>Gives the configuration engine back to the ICAP (CTRL.PCAP_PR = 0), where the SEM controller reads it.</summary>
    public void SelectIcap() => Set(false);

    private void Set(bool pcap)
    {
        var before = Window.Read32(Ctrl);
        var after = pcap ? before | PcapPr : before & ~PcapPr;
        if (after != before)
        {
            Window.Write32(Ctrl, after);
        }
        if (PcapSelected != pcap)
        {
            throw new MmioException(Address + CtrlOffset, $"DEVCFG CTRL did not take PCAP_PR = {(pcap ? 1 : 0)} (read back 0x{Window.Read32(Ctrl):X8})");
        }
    }
}
