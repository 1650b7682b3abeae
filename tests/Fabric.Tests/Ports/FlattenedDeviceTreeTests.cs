using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

public class FlattenedDeviceTreeTests
{
    /// <summary>
    /// <c>dtc -I dts -O dtb</c> (Debian device-tree-compiler 1.6.1) of
    /// <c>/dts-v1/; /plugin/; / { fragment@0 { target-path = "/fpga-full/pr-conv"; __overlay__ {
    /// firmware-name = "conv3x3_int8.bin"; partial-fpga-config; }; }; };</c>
    /// </summary>
    private const string DtcOverlay =
        "d00dfeed000000ea00000038000000bc000000280000001100000010000000000000002e00000084000000000000000000000000000000000000000100000000"
        + "00000001667261676d656e74403000000000000300000013000000002f667067612d66756c6c2f70722d636f6e760000000000015f5f6f7665726c61795f5f00"
        + "00000003000000110000000c636f6e763378335f696e74382e62696e0000000000000003000000000000001a000000020000000200000002000000097461726765"
        + "742d70617468006669726d776172652d6e616d65007061727469616c2d667067612d636f6e66696700";

    [Fact]
    public void The_partial_overlay_is_byte_for_byte_what_dtc_compiles()
    {
        var blob = LinuxOverlayPort.Overlay("/fpga-full/pr-conv", "conv3x3_int8.bin", partial: true);

        Assert.Equal(DtcOverlay, Convert.ToHexStringLower(blob));
    }

    [Fact]
    public void A_full_image_overlay_has_no_partial_flag_and_reads_back_as_written()
    {
        var tree = FlattenedDeviceTree.Read(LinuxOverlayPort.Overlay("/fpga-full", "static.bin", partial: false));

        var fragment = Assert.Single(tree.Children);
        Assert.Equal("fragment@0", fragment.Name);
        Assert.Equal("/fpga-full", fragment.Text("target-path"));
        var overlay = Assert.Single(fragment.Children);
        Assert.Equal("__overlay__", overlay.Name);
        Assert.Equal("static.bin", overlay.Text("firmware-name"));
        Assert.False(overlay.Has("partial-fpga-config"));
    }

    [Fact]
    public void The_dtc_blob_reads_as_its_source_says()
    {
        var overlay = FlattenedDeviceTree.Read(Convert.FromHexString(DtcOverlay)).Child("fragment@0")!.Child("__overlay__")!;

        Assert.Equal("conv3x3_int8.bin", overlay.Text("firmware-name"));
        Assert.True(overlay.Has("partial-fpga-config"));
        Assert.Empty(overlay.Properties.Single(p => p.Key == "partial-fpga-config").Value);
    }

    [Fact]
    public void A_blob_without_the_magic_is_refused_at_byte_0()
    {
        var blob = Convert.FromHexString(DtcOverlay);
        blob[0] = 0;

        var e = Assert.Throws<DeviceTreeFormatException>(() => FlattenedDeviceTree.Read(blob));

        Assert.Equal(0, e.Offset);
        Assert.Contains("0xD00DFEED", e.Message);
    }

    [Fact]
    public void A_truncated_blob_is_refused_naming_its_sizes()
    {
        var blob = Convert.FromHexString(DtcOverlay)[..100];

        var e = Assert.Throws<DeviceTreeFormatException>(() => FlattenedDeviceTree.Read(blob));

        Assert.Equal(4, e.Offset);
        Assert.Contains("234 bytes in a 100-byte blob", e.Message);
    }
}
