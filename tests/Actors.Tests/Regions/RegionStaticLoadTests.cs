using Akka.Actor;
using Dpr.Actors.Modules;
using Dpr.Actors.Regions;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Ports;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Regions;

/// <summary>A full load of the static design around a region manager: hold, write, invalidate or release.</summary>
public class RegionStaticLoadTests : Akka.TestKit.Xunit2.TestKit
{
    public RegionStaticLoadTests()
        : base(TestNode.Config)
    {
    }

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static ConvProblem Problem(string module)
    {
        var m = ConvModule.Resolve(module);
        var rng = new Random(7);
        int Value() => (int)rng.NextInt64(m.MinValue, m.MaxValue + 1);
        var k = m.KernelSize;
        return ConvProblem.Create(
            new ConvSpec(m, 1, ConvPadding.Same, 2, ConvOutputMode.Requantized),
            new TensorShape(1, 2, 7, 6), Enumerable.Range(0, 84).Select(_ => Value()).ToArray(),
            new TensorShape(2, 2, k, k), Enumerable.Range(0, 4 * k * k).Select(_ => Value()).ToArray());
    }

    private static ConfigurationImage Static() =>
        new(SimulatedRegion.PynqZ2.StaticDesign, BitstreamReader.Read(SyntheticBitstream.Full(SimulatedRegion.PynqZ2, SimulatedRegion.PynqZ2.StaticDesign)));

    private IActorRef Loaded(SimulatedRegion region, string name)
    {
        var manager = Sys.ActorOf(region.Props(), name);
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.Loaded>();
        return manager;
    }

    [Fact]
    public async Task Held_then_invalidated_the_partition_is_empty_on_record_and_the_next_load_swaps_again()
    {
        var region = new SimulatedRegion();
        var manager = Loaded(region, "region-held");

        manager.Tell(new RegionCommands.Hold("static load", Bound));
        ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Loaded, s.Status));
        var job = Guid.NewGuid();
        manager.Tell(new ModuleCommands.Run(job, ConvJob.Encode(Problem("conv3x3_int8"))));
        ExpectMsg<ModuleReplies.HandedBack>(h => Assert.Contains("held for a static load", h.Reason));
        // A load while held waits for the hold's end.
        manager.Tell(new RegionCommands.Load("conv5x5_int8"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        await region.Port.WriteAsync(Static(), null, CancellationToken.None);
        manager.Tell(new RegionCommands.Invalidate("static design reloaded"));

        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Empty, (string?)null), (s.Status, s.Module)));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.Equal(("conv5x5_int8", false), (l.Module, l.Hit)));
        Assert.Equal("conv5x5_int8", region.Board.Device.ModuleIn(SimulatedRegion.Partition));
    }

    [Fact]
    public void The_invalidation_survives_a_restart()
    {
        var region = new SimulatedRegion();
        var manager = Loaded(region, "region-recovered");
        manager.Tell(new RegionCommands.Invalidate("static design loaded at start"));
        ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Empty, s.Status));
        Watch(manager);
        Sys.Stop(manager);
        ExpectTerminated(manager);

        var again = Sys.ActorOf(region.Props(), "region-recovered");
        again.Tell(new RegionCommands.GetState());

        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Empty, (string?)null, 1L), (s.Status, s.Module, s.Swaps)));
    }

    [Fact]
    public void A_release_with_a_failure_faults_the_partition_and_invalidating_later_clears_it()
    {
        var manager = Loaded(new SimulatedRegion(), "region-failed-load");
        manager.Tell(new RegionCommands.Hold("static load", Bound));
        ExpectMsg<RegionReplies.State>();

        manager.Tell(new RegionCommands.Release("the static load failed: write error"));
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Faulted, "the static load failed: write error"), (s.Status, s.FaultReason)));
        // No longer held: a request is answered (refused with the fault) instead of waiting for the hold's end.
        manager.Tell(new RegionCommands.Load("conv5x5_int16"));
        ExpectMsg<RegionReplies.LoadFailed>(f => Assert.Contains("write error", f.Reason));

        manager.Tell(new RegionCommands.Invalidate("static design reloaded"));
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Empty, (string?)null), (s.Status, s.FaultReason)));
    }

    [Fact]
    public void A_release_without_a_failure_serves_the_module_it_held()
    {
        var manager = Loaded(new SimulatedRegion(), "region-released");
        manager.Tell(new RegionCommands.Hold("static load", Bound));
        ExpectMsg<RegionReplies.State>();

        manager.Tell(new RegionCommands.Release(null));
        ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Loaded, s.Status));

        var job = Guid.NewGuid();
        var problem = Problem("conv3x3_int8");
        manager.Tell(new ModuleCommands.Run(job, ConvJob.Encode(problem)));
        var done = ExpectMsg<ModuleReplies.Completed>(TimeSpan.FromSeconds(10));
        Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(done.Result.Output, 1));
    }

    [Fact]
    public void A_hold_nobody_ends_faults_the_partition()
    {
        var manager = Loaded(new SimulatedRegion(), "region-abandoned");

        manager.Tell(new RegionCommands.Hold("static load", TimeSpan.FromMilliseconds(200)));
        ExpectMsg<RegionReplies.State>();

        AwaitAssert(() =>
        {
            manager.Tell(new RegionCommands.GetState());
            ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Faulted, s.Status));
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
    }
}
