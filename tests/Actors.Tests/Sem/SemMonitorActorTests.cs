using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Actors.Sem;
using Dpr.Actors.Tests.Regions;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Sem;

public class SemMonitorActorTests : Akka.TestKit.Xunit2.TestKit
{
    public SemMonitorActorTests()
        : base(TestNode.Config)
    {
    }

    [Fact]
    public void An_upset_in_a_partition_reaches_its_region_manager_and_gets_reloaded()
    {
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props());
        manager.Tell(new RegionCommands.Load("conv3x3_int16"));
        ExpectMsg<RegionReplies.Loaded>();
        var monitor = Sys.ActorOf(SemMonitorActor.Props(SimulatedRegion.PynqZ2, new Dictionary<string, IActorRef> { ["conv"] = manager }));
        region.Board.SemOutput += lines => monitor.Tell(new SemMonitorActor.Lines(lines));
        var frame = SimulatedRegion.PynqZ2.FramesOf(SimulatedRegion.Partition).Skip(3).First();

        region.Board.InjectUpset(frame, 40, 7, correctable: false);

        AwaitAssert(() =>
        {
            manager.Tell(new RegionCommands.GetState());
            ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, 2L), (s.Status, s.Swaps)));
        });
        Assert.False(region.Board.Device.IsCorrupt(SimulatedRegion.Partition));
        monitor.Tell(new SemMonitorActor.GetHealth());
        ExpectMsg<SemMonitorActor.Health>(h => Assert.Equal((true, 1L), (h.Healthy, h.Upsets)));
    }

    [Fact]
    public void After_the_reload_the_controller_observes_again_so_the_next_upset_is_reported_too()
    {
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props());
        manager.Tell(new RegionCommands.Load("conv3x3_int16"));
        ExpectMsg<RegionReplies.Loaded>();
        var monitor = Sys.ActorOf(SemMonitorActor.Props(SimulatedRegion.PynqZ2, new Dictionary<string, IActorRef> { ["conv"] = manager }, region.Board.ResumeSem));
        region.Board.SemOutput += lines => monitor.Tell(new SemMonitorActor.Lines(lines));
        var frame = SimulatedRegion.PynqZ2.FramesOf(SimulatedRegion.Partition).Skip(3).First();

        foreach (var swaps in new[] { 2L, 3L })
        {
            // Injecting throws unless the controller observes: the second needs the resume after the first reload.
            AwaitAssert(() => Assert.Equal(Fabric.Sem.SemState.Observation, region.Board.Sem.State));
            region.Board.InjectUpset(frame, 40, 7, correctable: false);
            AwaitAssert(() =>
            {
                manager.Tell(new RegionCommands.GetState());
                ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, swaps), (s.Status, s.Swaps)));
            });
        }
        AwaitAssert(() => Assert.Equal(Fabric.Sem.SemState.Observation, region.Board.Sem.State));
        monitor.Tell(new SemMonitorActor.GetHealth());
        ExpectMsg<SemMonitorActor.Health>(h => Assert.Equal((true, 2L), (h.Healthy, h.Upsets)));
    }

    [Fact]
    public void An_uncorrectable_upset_in_the_static_design_degrades_the_board()
    {
        var region = new SimulatedRegion();
        var monitor = Sys.ActorOf(SemMonitorActor.Props(SimulatedRegion.PynqZ2, new Dictionary<string, IActorRef>()));
        region.Board.SemOutput += lines => monitor.Tell(new SemMonitorActor.Lines(lines));
        Sys.EventStream.Subscribe(TestActor, typeof(SemMonitorActor.BoardDegraded));

        region.Board.InjectUpset(new Fabric.Bitstreams.FrameAddress(0), 1, 1, correctable: false);

        ExpectMsg<SemMonitorActor.BoardDegraded>(d => Assert.Contains("static design", d.Reason));
        monitor.Tell(new SemMonitorActor.GetHealth());
        ExpectMsg<SemMonitorActor.Health>(h => Assert.False(h.Healthy));
    }
}
