using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>Footprints of the real partials, as listed in fixtures/real/README.md ("Region actually written").</summary>
public class FootprintTests
{
    public static TheoryData<string, string[]> PartialRegions => new()
    {
        { Fixtures.JoinSubtract, ["0x00001E00..0x00001FA3 (144)"] },
        { Fixtures.JoinAbsdiff, ["0x00001E00..0x00001FA3 (144)"] },
        { Fixtures.ForkDuplicate, ["0x00001B00..0x00001D9B (200)", "0x00800200..0x0080027F (128)"] },
        { Fixtures.Pr0DilateErode, ["0x00000A00..0x00000FA3 (416)", "0x00400A00..0x00400FA3 (416)", "0x00800100..0x0080017F (128)", "0x00C00100..0x00C0017F (128)"] },
        { Fixtures.Pr1CornerHarris, ["0x00420100..0x00420FA3 (1032)", "0x00C20000..0x00C2017F (384)"] },
        { Fixtures.PrioGpio, ["0x00400D00..0x00400DA3 (72)"] },
    };

    [Theory]
    [MemberData(nameof(PartialRegions))]
    public void Partial_footprint_is_the_region_it_writes(string file, string[] expected)
    {
        var footprint = Footprint.Of(BitstreamReader.Read(Fixtures.Bytes(file)), DeviceCatalog.ByName("xc7z020")!);

        Assert.Equal(expected, footprint.Ranges.Select(r => $"{r.First}..{r.Last} ({r.Frames})"));
        Assert.Equal(0, footprint.UnmappedFrames);
        // The CFG_CLB mask burst: 3 rows x 74 columns, pads excluded (FORMAT-NOTES §9).
        Assert.Equal(222, footprint.MaskRanges.Sum(r => r.Frames));
    }

    [Theory]
    [InlineData(Fixtures.FullStatic, "xc7z020", 9996, 6)]
    [InlineData(Fixtures.Zybo, "xc7z010", 5144, 4)]
    [InlineData(Fixtures.Arty, "xc7a35t", 5408, 6)]
    public void Full_bitstream_writes_every_frame_of_its_device(string file, string device, int frames, int rows)
    {
        var d = DeviceCatalog.ByName(device)!;
        var footprint = Footprint.Of(BitstreamReader.Read(Fixtures.Bytes(file)), d);

        Assert.Equal(frames, footprint.Frames);
        Assert.Equal(d.ConfigurationFrames, footprint.Frames);
        Assert.Equal(rows, footprint.Ranges.Count);
        Assert.Empty(footprint.MaskRanges);
        Assert.Equal(0, footprint.UnmappedFrames);
    }

    [Fact]
    public void Burst_running_off_the_device_counts_unmapped_frames()
    {
        // The xc7z010 full bitstream walked through the smaller xc7a35t... and the reverse: the
        // xc7z020 image through the xc7z010 map runs out of rows.
        var footprint = Footprint.Of(BitstreamReader.Read(Fixtures.Bytes(Fixtures.FullStatic)), DeviceCatalog.ByName("xc7z010")!);

        Assert.True(footprint.UnmappedFrames > 0);
    }
}
