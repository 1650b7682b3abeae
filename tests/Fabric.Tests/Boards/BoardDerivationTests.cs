using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Modules;

namespace Dpr.Fabric.Tests.Boards;

public class BoardDerivationTests
{
    private static readonly string[] ComposablePartials =
        [Fixtures.Pr0DilateErode, Fixtures.Pr1CornerHarris, Fixtures.ForkDuplicate, Fixtures.JoinSubtract, Fixtures.JoinAbsdiff];

    [Fact]
    public void Deriving_from_the_real_overlay_gives_the_built_in_composable_profile()
    {
        var derived = BoardDerivation.Derive("derived", Source(Fixtures.FullStatic, "cv_dfx_4_pr.hwh"), [.. ComposablePartials.Select(p => Source(p, Path.ChangeExtension(p, ".hwh")))]);

        var builtIn = BoardCatalog.Load("pynq-z2-composable");
        Assert.Equal(builtIn.Device, derived.Board.Device);
        Assert.Equal("cv_dfx_4_pr.bit", derived.Board.StaticImage);
        Assert.Equal(100, derived.Board.FabricClockMHz);
        Assert.Equal(builtIn.Partitions.Select(p => p.Name).Order(), derived.Board.Partitions.Select(p => p.Name).Order());
        foreach (var expected in builtIn.Partitions)
        {
            var actual = derived.Board.Partition(expected.Name);
            Assert.Equal(expected.Frames.ToHashSet(), actual.Frames.ToHashSet());
            Assert.Equal(expected.Mask!.ToString(), actual.Mask!.ToString());
            Assert.Equal(expected.ModuleAddress, actual.ModuleAddress);
            Assert.Equal(expected.ModuleSpan, actual.ModuleSpan);
            Assert.Null(actual.Decoupler);
        }
        // Both pr_join modules made one partition.
        Assert.Equal([Fixtures.JoinSubtract, Fixtures.JoinAbsdiff], derived.Sources[derived.Board.Partitions.ToList().FindIndex(p => p.Name == "pr_join")]);
        Assert.Contains(derived.NotDerived, n => n.StartsWith("partitions[0].decoupler", StringComparison.Ordinal));
        // The JSON is a profile the catalog reads back to the same partitions, and every real partial fits it.
        var reread = BoardCatalog.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(derived.Json)));
        foreach (var partial in ComposablePartials)
        {
            Assert.True(PartitionFit.Of(BitstreamReader.Read(Fixtures.Bytes(partial)), reread).Fits, partial);
        }
    }

    [Fact]
    public void Without_hwh_files_partitions_are_named_by_order_and_windows_not_derived()
    {
        var derived = BoardDerivation.Derive("bare", Source(Fixtures.FullStatic), [Source(Fixtures.JoinSubtract), Source(Fixtures.ForkDuplicate)]);

        Assert.Equal(["pr_0", "pr_1"], derived.Board.Partitions.Select(p => p.Name));
        Assert.Equal(144, derived.Board.FrameCount(derived.Board.Partitions[0]));
        Assert.Equal(328, derived.Board.FrameCount(derived.Board.Partitions[1]));
        Assert.All(derived.Board.Partitions, p => Assert.Equal(0u, p.ModuleSpan));
        Assert.Contains(derived.NotDerived, n => n.StartsWith("fabricClockMHz", StringComparison.Ordinal));
        Assert.Contains(derived.NotDerived, n => n.StartsWith("partitions[1].moduleAddress", StringComparison.Ordinal));
    }

    [Fact]
    public void A_partial_of_another_design_is_refused_by_name()
    {
        var e = Assert.Throws<BoardDerivationException>(() => BoardDerivation.Derive("x", Source(Fixtures.FullStatic), [Source(Fixtures.JoinSubtract), Source(Fixtures.PrioGpio)]));

        Assert.Equal(Fixtures.PrioGpio, e.File);
        Assert.Equal(VerdictOutcome.OutsidePartition, e.Outcome);
        Assert.Contains("built for design 'prio_wrapper', the static design is 'video_cp_wrapper'", e.Message);
    }

    [Theory]
    [InlineData(Fixtures.Zybo, "xc7z010")]
    [InlineData(Fixtures.Arty, "xc7a35t")]
    public void A_wrong_device_file_is_refused_as_a_partial(string file, string device)
    {
        var e = Assert.Throws<BoardDerivationException>(() => BoardDerivation.Derive("x", Source(Fixtures.FullStatic), [Source(file)]));

        Assert.Equal(file, e.File);
        Assert.Equal(VerdictOutcome.WrongDevice, e.Outcome);
        Assert.Contains($"it is for {device}", e.Message);
    }

    [Fact]
    public void The_static_design_must_be_a_full_bitstream()
    {
        var e = Assert.Throws<BoardDerivationException>(() => BoardDerivation.Derive("x", Source(Fixtures.JoinSubtract), [Source(Fixtures.ForkDuplicate)]));

        Assert.Equal(Fixtures.JoinSubtract, e.File);
        Assert.Contains("the first file must be the static design's full bitstream", e.Message);
    }

    private static DerivationSource Source(string bit, string? hwh = null) =>
        new(bit, Fixtures.Bytes(bit), hwh is null ? null : HardwareHandoff.Load(Fixtures.Real(hwh)));
}
