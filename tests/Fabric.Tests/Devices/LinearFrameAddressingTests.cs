using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Tests.Devices;

public class LinearFrameAddressingTests
{
    private static readonly Device Z020 = DeviceCatalog.ByName("xc7z020")!;

    [Fact]
    public void The_xc7z020_counts_its_9996_configuration_frames()
    {
        Assert.Equal(9996, Z020.LinearFrameCount());
        Assert.Equal(Z020.ConfigurationFrames, Z020.LinearFrameCount());
    }

    [Fact]
    public void Frame_zero_is_far_zero_and_the_first_bram_frame_follows_three_clb_rows()
    {
        Assert.Equal(new FrameAddress(0), Z020.FromLinear(0));
        Assert.Equal(0, Z020.ToLinear(new FrameAddress(0)));
        // CLB rows T0, B0, B1 hold 2564 frames each (FORMAT-NOTES §7).
        Assert.Equal(FrameAddress.Create(BlockType.BLOCK_RAM, false, 0, 0, 0), Z020.FromLinear(3 * 2564));
        Assert.Equal(FrameAddress.Create(BlockType.CLB_IO_CLK, true, 0, 0, 0), Z020.FromLinear(2564));
    }

    [Fact]
    public void Every_frame_round_trips_in_far_order()
    {
        var previous = -1L;
        for (var linear = 0; linear < Z020.LinearFrameCount(); linear++)
        {
            var far = Z020.FromLinear(linear);
            Assert.Equal(linear, Z020.ToLinear(far));
            Assert.True(far.Value > previous, $"LFA {linear} ({far}) is not after {previous:X8} in FAR order");
            previous = far.Value;
        }
    }

    [Fact]
    public void Addresses_outside_the_map_have_no_linear_address()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Z020.FromLinear(9996));
        Assert.Throws<ArgumentOutOfRangeException>(() => Z020.FromLinear(-1));
        // Vivado's parking FAR (FORMAT-NOTES §7) and a minor past its column's frame count.
        Assert.Throws<ArgumentOutOfRangeException>(() => Z020.ToLinear(new FrameAddress(0x03BE0000)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Z020.ToLinear(FrameAddress.Create(BlockType.CLB_IO_CLK, false, 0, 1, 100)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Z020.ToLinear(FrameAddress.Create(BlockType.CFG_CLB, false, 0, 0, 0)));
    }

    [Fact]
    public void A_device_without_a_frame_map_cannot_convert()
    {
        var e = Assert.Throws<InvalidOperationException>(() => DeviceCatalog.ByName("xc7a100t")!.FromLinear(0));

        Assert.Contains("xc7a100t", e.Message);
    }
}
