using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Tests.Sem;

public class UpsetLocatorTests
{
    private static readonly Board Board = BoardCatalog.Load("pynq-z2-composable");
    private readonly UpsetLocator _locator = new(Board);

    [Fact]
    public void An_upset_in_the_frames_pr_join_writes_is_in_pr_join()
    {
        var partial = BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract));
        var frames = Footprint.Of(partial, Board.Device).FrameAddresses;

        Assert.All(frames, f => Assert.Equal("pr_join", _locator.Locate(f).Partition?.Name));
        Assert.NotEmpty(frames);
    }

    [Fact]
    public void An_upset_at_far_zero_is_in_the_static_design()
    {
        var location = _locator.Locate(new FrameAddress(0));

        Assert.True(location.IsStatic);
        Assert.Contains("static design", location.ToString());
    }

    [Theory]
    [InlineData(BlockType.BLOCK_RAM, false, 0, 2, "pr_0")]
    [InlineData(BlockType.CLB_IO_CLK, true, 1, 31, "pr_1")]
    [InlineData(BlockType.CLB_IO_CLK, false, 0, 54, "pr_fork")]
    [InlineData(BlockType.CLB_IO_CLK, false, 0, 64, null)]
    [InlineData(BlockType.CLB_IO_CLK, true, 1, 1, null)]
    public void Each_partition_owns_its_columns_and_nothing_else(BlockType blockType, bool bottom, int row, int column, string? partition)
    {
        Assert.Equal(partition, _locator.Locate(FrameAddress.Create(blockType, bottom, row, column, 0)).Partition?.Name);
    }

    [Fact]
    public void A_parsed_report_is_located_end_to_end()
    {
        var sem = new SimulatedSemSource(Board.Device);
        var lines = new List<string>(sem.Start());
        lines.AddRange(sem.Inject(new InjectedUpset(FrameAddress.Create(BlockType.CLB_IO_CLK, false, 0, 60, 0), 10, 4, Correctable: true)));

        var upset = SemReportParser.Parse(lines, Board.Device).OfType<UpsetReport>().Single();

        Assert.Equal("pr_join", _locator.Locate(upset).Partition?.Name);
    }

    [Fact]
    public void An_unlocated_upset_counts_as_static()
    {
        Assert.True(_locator.Locate((FrameAddress?)null).IsStatic);
    }
}
