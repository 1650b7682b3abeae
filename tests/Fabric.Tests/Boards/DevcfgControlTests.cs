using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Boards;

/// <summary>DEVCFG CTRL.PCAP_PR (bit 27, UG585) toggled at register level.</summary>
public class DevcfgControlTests
{
    [Fact]
    public void Selecting_the_pcap_sets_bit_27_alone_and_giving_it_back_clears_it()
    {
        var state = SemState.Idle;
        var devcfg = new SimulatedDevcfg(Board.ZynqDevcfgAddress, () => state);
        var control = new DevcfgControl(devcfg, Board.ZynqDevcfgAddress);
        Assert.False(control.PcapSelected);

        control.SelectPcap();
        Assert.Equal(DevcfgControl.PcfgProgB | DevcfgControl.PcapPr, devcfg.Read32(DevcfgControl.CtrlOffset));
        Assert.Equal(0x08000000u, DevcfgControl.PcapPr);

        control.SelectIcap();
        Assert.Equal(DevcfgControl.PcfgProgB, devcfg.Read32(DevcfgControl.CtrlOffset));
        Assert.Equal((1, 1, 0, 0), (devcfg.PcapSelections, devcfg.IcapSelections, devcfg.PlResets, devcfg.Collisions));
    }

    [Fact]
    public void Selecting_the_pcap_while_sem_observes_is_a_collision_in_the_simulation()
    {
        var devcfg = new SimulatedDevcfg(Board.ZynqDevcfgAddress, () => SemState.Observation);

        new DevcfgControl(devcfg, Board.ZynqDevcfgAddress).SelectPcap();

        Assert.Equal(1, devcfg.Collisions);
    }

    [Fact]
    public void A_ctrl_register_that_does_not_take_the_write_is_an_error_not_a_silent_success()
    {
        var stuck = new StuckWindow(Board.ZynqDevcfgAddress);

        var e = Assert.Throws<MmioException>(() => new DevcfgControl(stuck, Board.ZynqDevcfgAddress).SelectPcap());

        Assert.Contains("did not take PCAP_PR = 1", e.Message);
    }

    /// <summary>A DEVCFG whose CTRL ignores writes (locked, or not DEVCFG at all).</summary>
    private sealed class StuckWindow(ulong address) : SimulatedRegisters(address, 0x100)
    {
        protected override void OnWrite(long offset, uint value)
        {
        }
    }
}
