using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>Strikes aimed by fault injection: inside a partition or in the static design, reported by the SEM controller as the monitor will read them.</summary>
public class SimulatedBoardStrikeTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    private static (SimulatedBoard Board, List<string> Lines) NewBoard()
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));
        var lines = new List<string>();
        board.SemOutput += lines.AddRange;
        return (board, lines);
    }

    private static UpsetLocation Reported(List<string> lines) =>
        new UpsetLocator(PynqZ2).Locate(Assert.Single(SemReportParser.Parse(lines, PynqZ2.Device).OfType<UpsetReport>()));

    [Fact]
    public async Task An_uncorrectable_strike_in_a_partition_is_reported_there_and_corrupts_it_until_it_is_rewritten()
    {
        var (board, lines) = NewBoard();
        var module = new ConfigurationImage("conv3x3_int8", BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, "conv3x3_int8")));
        await board.Port.WriteAsync(module, null, CancellationToken.None);

        var upset = board.Strike(Conv, correctable: false);

        Assert.Equal(Conv, PynqZ2.PartitionOf(upset.Frame));
        Assert.Equal(Conv, Reported(lines).Partition);
        Assert.True(board.Device.IsCorrupt(Conv));
        Assert.Equal(SemState.Idle, board.Sem.State);
        await board.Port.WriteAsync(module, null, CancellationToken.None);
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
    }

    [Fact]
    public void A_correctable_strike_is_repaired_by_the_controller_after_its_report()
    {
        var (board, lines) = NewBoard();

        board.Strike(Conv, correctable: true);

        Assert.Equal(Conv, Reported(lines).Partition);
        Assert.Empty(board.Device.Upsets);
        Assert.Equal(SemState.Observation, board.Sem.State);
    }

    [Fact]
    public void A_static_strike_is_located_in_the_static_design_and_stops_observation_until_resumed()
    {
        var (board, lines) = NewBoard();

        var upset = board.Strike(null, correctable: false);

        Assert.Equal(BlockType.CLB_IO_CLK, upset.Frame.BlockType);
        Assert.Null(PynqZ2.PartitionOf(upset.Frame));
        Assert.True(Reported(lines).IsStatic);
        Assert.False(board.Device.IsCorrupt(Conv));
        Assert.Throws<InvalidOperationException>(() => board.Strike(Conv, correctable: true));
        board.ResumeSem();
        board.Strike(Conv, correctable: true);
    }
}
