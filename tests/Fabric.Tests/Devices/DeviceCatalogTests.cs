using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Tests.Devices;

public class DeviceCatalogTests
{
    [Theory]
    [InlineData(0x03727093u, "xc7z020", 9996)]
    [InlineData(0x03722093u, "xc7z010", 5144)]
    [InlineData(0x0362D093u, "xc7a35t", 5408)]
    public void Known_parts_by_idcode_with_their_frame_totals(uint idCode, string name, int frames)
    {
        var device = DeviceCatalog.ByIdCode(idCode);

        Assert.NotNull(device);
        Assert.Equal(name, device.Name);
        Assert.Equal(101, Device.FrameWords);
        Assert.Equal(frames, device.ConfigurationFrames);
    }

    [Fact]
    public void Idcode_revision_bits_are_ignored()
    {
        Assert.Equal("xc7z020", DeviceCatalog.ByIdCode(0x43727093)?.Name);
        Assert.Null(DeviceCatalog.ByIdCode(0x03727092));
    }

    [Fact]
    public void Xc7z020_rows_match_the_full_bitstream_layout()
    {
        var d = DeviceCatalog.ByName("xc7z020")!;
        var clb = d.Rows.Where(r => r.BlockType == BlockType.CLB_IO_CLK).ToList();
        var bram = d.Rows.Where(r => r.BlockType == BlockType.BLOCK_RAM).ToList();

        Assert.Equal(["CLB_IO_CLK T0", "CLB_IO_CLK B0", "CLB_IO_CLK B1"], clb.Select(r => r.ToString()));
        Assert.All(clb, r => Assert.Equal((74, 2564), (r.ColumnFrames.Count, r.Frames)));
        Assert.All(bram, r => Assert.Equal((6, 768), (r.ColumnFrames.Count, r.Frames)));
    }

    [Theory]
    [InlineData("xc7z020", "7z020clg400", true)]
    [InlineData("xc7z020", "7z010clg400", false)]
    [InlineData("xc7z010", "7z0100clg400", false)]
    public void Header_part_names_device(string device, string part, bool matches) =>
        Assert.Equal(matches, DeviceCatalog.ByName(device)!.MatchesPart(part));
}
