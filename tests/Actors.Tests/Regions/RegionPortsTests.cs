using Akka.Actor;
using Dpr.Actors.Modules;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Regions;

/// <summary>The region manager over each configuration port's own code, in front of the same simulated device.</summary>
public class RegionPortsTests : Akka.TestKit.Xunit2.TestKit
{
    public RegionPortsTests()
        : base(TestNode.Config)
    {
    }

    private static Func<SimulatedBoard, IConfigurationPort> Port(string name) => name switch
    {
        "overlay" => board => board.OverlayPort(),
        "hwicap" => board => board.HwicapPort(),
        _ => board => board.Port,
    };

    [Theory]
    [InlineData("simulated")]
    [InlineData("overlay")]
    [InlineData("hwicap")]
    public void A_write_that_fails_part_way_is_retried_and_the_module_runs_bit_exact(string port)
    {
        var region = new SimulatedRegion(new FaultPlan().OnNextWrite(SimulatedFault.PartialWrite), port: Port(port));
        var manager = Sys.ActorOf(region.Props());

        manager.Tell(new RegionCommands.Load("conv5x5_int16"));

        ExpectMsg<RegionReplies.Loaded>(l => Assert.Equal(("conv5x5_int16", false), (l.Module, l.Hit)));
        Assert.Equal(port, region.Port.Name);
        Assert.Equal("conv5x5_int16", region.Board.Device.ModuleIn(SimulatedRegion.Partition));
        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, 1L, 1L), (s.Status, s.Swaps, s.FailedSwaps)));

        var m = ConvModule.Resolve("conv5x5_int16");
        var rng = new Random(7);
        var problem = ConvProblem.Create(
            new ConvSpec(m, 1, ConvPadding.Same, 2, ConvOutputMode.Requantized),
            new TensorShape(1, 1, 6, 6), Enumerable.Range(0, 36).Select(_ => rng.Next(-500, 500)).ToArray(),
            new TensorShape(1, 1, 5, 5), Enumerable.Range(0, 25).Select(_ => rng.Next(-500, 500)).ToArray());
        manager.Tell(new ModuleCommands.Run(Guid.NewGuid(), ConvJob.Encode(problem)));
        var done = ExpectMsg<ModuleReplies.Completed>();
        Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(done.Result.Output, 2));
    }

    [Fact]
    public void A_stalled_hwicap_is_aborted_at_the_swap_timeout_and_the_retry_loads()
    {
        var region = new SimulatedRegion(new FaultPlan().OnNextWrite(SimulatedFault.Hang), port: Port("hwicap"));
        var manager = Sys.ActorOf(region.Props(new RegionOptions(RetryBackoff: TimeSpan.FromMilliseconds(10), SwapTimeout: TimeSpan.FromMilliseconds(300))));

        manager.Tell(new RegionCommands.Load("conv3x3_int32"));

        ExpectMsg<RegionReplies.Loaded>(TimeSpan.FromSeconds(10));
        Assert.Equal("conv3x3_int32", region.Board.Device.ModuleIn(SimulatedRegion.Partition));
        Assert.Equal(1, region.Board.Hwicap!.Aborts);
    }
}
