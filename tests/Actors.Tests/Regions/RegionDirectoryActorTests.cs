using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Actors.Tests.Regions;

/// <summary>A board with two partitions that host the same modules: placement by LRU and FIFO, and a static reload.</summary>
public sealed class RegionDirectoryActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const string TwinBoard = """
        {
          "name": "twin", "device": "xc7z020", "fabricClockMHz": 100,
          "memory": { "base": "0x10000000", "size": "0x00400000" },
          "partitions": [
            { "name": "conv_a", "frames": [ { "blockType": "CLB_IO_CLK", "half": "bottom", "row": 0, "firstColumn": 26, "lastColumn": 27 } ],
              "decoupler": { "address": "0x43C10000", "bit": 0 }, "moduleAddress": "0x43C00000", "moduleSpan": "0x10000", "dmaAddress": "0x40400000", "hosts": [ "convolution" ] },
            { "name": "conv_b", "frames": [ { "blockType": "CLB_IO_CLK", "half": "bottom", "row": 0, "firstColumn": 28, "lastColumn": 29 } ],
              "decoupler": { "address": "0x43C10000", "bit": 1 }, "moduleAddress": "0x43C20000", "moduleSpan": "0x10000", "dmaAddress": "0x40410000", "hosts": [ "convolution" ] }
          ]
        }
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-twin-{Guid.NewGuid():N}");

    public RegionDirectoryActorTests()
        : base(ActorTestConfig.Config)
    {
    }

    private (IActorRef Directory, SimulatedBoard Board) Start(ReplacementPolicy policy)
    {
        var board = BoardCatalog.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(TwinBoard)));
        ModuleCatalog.WriteSynthetic(board, _directory);
        var catalog = ModuleCatalog.Load(_directory, board);
        Assert.Empty(catalog.Problems);
        var sim = new SimulatedBoard(board, new SimulatedBoardOptions(DdrBytes: 4 << 20, KernelThreads: 1));
        var regions = board.Partitions.Select((p, i) =>
        {
            var buffers = new MemoryRegion(sim.Ddr.BaseAddress + ((ulong)i * (2 << 20)), 2 << 20);
            var hardware = new PartitionHardware(board, p, sim.Port, sim, buffers);
            return (p.Name, Ref: Sys.ActorOf(RegionManagerActor.Props("twin", hardware, catalog, new RegionOptions(), TimeProvider.System), $"region-{p.Name}-{policy.Name}"));
        }).ToDictionary(r => r.Name, r => r.Ref);
        return (Sys.ActorOf(RegionDirectoryActor.Props(regions, catalog, policy, TimeSpan.FromSeconds(10), sim.Port)), sim);
    }

    private string Acquire(IActorRef directory, string module)
    {
        directory.Tell(new RegionDirectoryActor.Acquire(module));
        return ExpectMsg<RegionReplies.Loaded>(TimeSpan.FromSeconds(10)).Partition;
    }

    [Theory]
    [InlineData("lru", "conv_b")]
    [InlineData("fifo", "conv_a")]
    public void The_policy_picks_the_victim_when_both_partitions_are_busy(string policy, string evicted)
    {
        var (directory, board) = Start(ReplacementPolicy.Parse(policy));

        Assert.Equal("conv_a", Acquire(directory, "conv3x3_int8"));
        Assert.Equal("conv_b", Acquire(directory, "conv5x5_int8"));
        Thread.Sleep(20);
        Assert.Equal("conv_a", Acquire(directory, "conv3x3_8bit"));
        Assert.Equal(evicted, Acquire(directory, "conv3x3_int16"));
        Assert.Equal("conv3x3_int16", board.Device.ModuleIn(board.Board.Partition(evicted)));
    }

    [Fact]
    public void Invalidating_all_empties_every_partition_on_record()
    {
        var (directory, _) = Start(ReplacementPolicy.Lru);
        Acquire(directory, "conv3x3_int8");
        Acquire(directory, "conv5x5_int8");

        directory.Tell(new RegionDirectoryActor.InvalidateAll("static design reloaded"));

        var states = ExpectMsg<RegionReplies.State[]>();
        Assert.All(states, s => Assert.Equal(RegionStatus.Empty, s.Status));
        Assert.Equal("conv_a", Acquire(directory, "conv5x5_int32"));
    }

    [Fact]
    public void A_static_reload_empties_every_partition_then_rewrites_the_device()
    {
        var (directory, board) = Start(ReplacementPolicy.Fifo);
        Acquire(directory, "conv3x3_int8");
        var image = new ConfigurationImage("static-v2", BitstreamReader.Read(SyntheticBitstream.Full(board.Board, "static-v2")));

        directory.Tell(new RegionDirectoryActor.ReloadStatic(image));

        ExpectMsg<PortWriteResult>(TimeSpan.FromSeconds(10));
        Assert.Equal("static-v2", board.Device.StaticDesign);
        Assert.All(board.Board.Partitions, p => Assert.Null(board.Device.ModuleIn(p)));
        Assert.Equal("conv_a", Acquire(directory, "conv3x3_int8"));
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(board.Board.Partition("conv_a")));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
