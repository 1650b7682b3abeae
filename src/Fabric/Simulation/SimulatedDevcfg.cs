using Dpr.Fabric.Boards;
using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// The Zynq DEVCFG register block at register level, as far as configuration turns need it: CTRL
/// (offset 0) with PCAP_PR (bit 27), read and written whole (UG585 Appendix B). It starts as Linux
/// leaves it after the initial configuration — PCAP_PR clear, the engine with the ICAP (zynq-fpga.c
/// clears it in <c>write_complete</c>) — and PCFG_PROG_B high. Every change of PCAP_PR is counted, and a
/// selection of the PCAP while the SEM controller observes (it would be reading through the ICAP)
/// counts as a collision.
/// </summary>
public sealed class SimulatedDevcfg : SimulatedRegisters
{
    /// <summary>DEVCFG spans 0x100 bytes of registers at 0xF8007000 (UG585 Appendix B).</summary>
    public const long WindowBytes = 0x100;

    private readonly Func<SemState> _sem;

    public SimulatedDevcfg(ulong baseAddress, Func<SemState> sem)
        : base(baseAddress, WindowBytes)
    {
        _sem = sem;
        Store(DevcfgControl.CtrlOffset, DevcfgControl.PcfgProgB);
    }

    /// <summary>Times PCAP_PR went from 0 to 1.</summary>
    public int PcapSelections { get; private set; }

    /// <summary>Times PCAP_PR went from 1 to 0.</summary>
    public int IcapSelections { get; private set; }

    /// <summary>PCAP selections made while the SEM controller was not idle: what the turns exist to prevent.</summary>
    public int Collisions { get; private set; }

    /// <summary>Writes that cleared PCFG_PROG_B, which on a device would clear the PL.</summary>
    public int PlResets { get; private set; }

    public bool PcapSelected => (Stored(DevcfgControl.CtrlOffset) & DevcfgControl.PcapPr) != 0;

    protected override void OnWrite(long offset, uint value)
    {
        if (offset == DevcfgControl.CtrlOffset)
        {
            var before = Stored(offset);
            if ((before & DevcfgControl.PcapPr) == 0 && (value & DevcfgControl.PcapPr) != 0)
            {
                PcapSelections++;
                if (_sem() is not (SemState.Idle or SemState.FatalError))
                {
                    Collisions++;
                }
            }
            if ((before & DevcfgControl.PcapPr) != 0 && (value & DevcfgControl.PcapPr) == 0)
            {
                IcapSelections++;
            }
            if ((value & DevcfgControl.PcfgProgB) == 0)
            {
                PlResets++;
            }
        }
        Store(offset, value);
    }
}
