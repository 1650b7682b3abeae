using System.Text;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Tests.Drivers;

public class HardwareHandoffTests
{
    [Fact]
    public void Static_design_hwh_gives_instances_parameters_and_addresses()
    {
        var hwh = HardwareHandoff.Load(Fixtures.Real("cv_dfx_4_pr.hwh"));

        Assert.Equal(("video_cp", "7z020", "clg400"), (hwh.Name, hwh.Device, hwh.Package));
        Assert.Equal("dfx_decoupler", hwh.Instance("/composable/dfx_decouplers/dfx_decoupler_pr_join")?.ModType);
        Assert.Equal("axi_gpio", hwh.Instance("composable_pipeline_control")?.ModType);
        var join = hwh.AddressRanges.Single(r => r.Instance == "composable_pr_join");
        Assert.Equal((0x400B0000ul, 0x10000ul, "M_AXI_GP0"), (join.Base, join.Size, join.MasterInterface));
        Assert.Equal(0x41250000ul, hwh.AddressRanges.Single(r => r.Instance == "composable_pipeline_control").Base);
    }

    [Fact]
    public void Partial_hwh_gives_the_module_relative_register_range()
    {
        var hwh = HardwareHandoff.Load(Fixtures.Real("cv_dfx_4_pr_composable_pr_join_subtract_partial.hwh"));

        Assert.Equal("composable_pr_join_subtract", hwh.Name);
        var range = Assert.Single(hwh.AddressRanges);
        Assert.Equal(("subtract_accel", 0ul, 0x10000ul, "REGISTER"), (range.Instance, range.Base, range.Size, range.MemoryType));
    }

    [Theory]
    [InlineData("<EDKSYSTEM><SYSTEMINFO", "not well-formed XML")]
    [InlineData("<OTHER/>", "expected an EDKSYSTEM")]
    [InlineData("<EDKSYSTEM/>", "SYSTEMINFO element is missing")]
    [InlineData("<EDKSYSTEM><SYSTEMINFO/><MEMORYMAP><MEMRANGE BASEVALUE=\"12\" HIGHVALUE=\"0x1\"/></MEMORYMAP></EDKSYSTEM>", "MEMRANGE #0 has BASEVALUE=\"12\"")]
    [InlineData("<!DOCTYPE x [<!ENTITY a \"b\">]><EDKSYSTEM/>", "not well-formed XML")]
    public void Bad_hwh_is_a_typed_error(string xml, string says)
    {
        var e = Assert.Throws<HardwareHandoffException>(() => HardwareHandoff.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), "t.hwh"));

        Assert.Contains(says, e.Message);
        Assert.Equal("t.hwh", e.File);
    }
}
