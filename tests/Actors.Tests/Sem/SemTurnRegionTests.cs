using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Actors.Sem;
using Dpr.Actors.Tests.Regions;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Sem;

/// <summary>A region manager's swaps through the PCAP taking their turn with the SEM controller, and the monitor's health per partition.</summary>
public class SemTurnRegionTests : Akka.TestKit.Xunit2.TestKit
{
    public SemTurnRegionTests()
        : base(TestNode.Config)
    {
    }

    private static (SimulatedRegion Region, SemTurns Turns) WithTurns()
    {
        SemTurns? turns = null;
        var region = new SimulatedRegion(boardPort: (board, port) =>
        {
            var sem = new SemController(UartLiteLink.Open(board, SimulatedBoard.DefaultSemUartAddress), board.Board.Device);
            sem.RequestStatus();
            sem.Poll();
            turns = new SemTurns(sem, DevcfgControl.Open(board, board.Board.DevcfgAddress), new SemTurnOptions(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(20)));
            return new SemTurnPort(port, turns);
        });
        return (region, turns!);
    }

    [Fact]
    public void A_swap_goes_through_a_turn_that_idles_sem_and_gives_the_engine_back()
    {
        var (region, turns) = WithTurns();
        var manager = Sys.ActorOf(region.Props());

        manager.Tell(new RegionCommands.Load("conv3x3_int16"));

        ExpectMsg<RegionReplies.Loaded>(l => Assert.Equal("conv3x3_int16", l.Module));
        Assert.Equal(("conv3x3_int16", SemState.Observation, true, SemTurnOutcome.Written), (turns.Last!.Image, turns.Last.SemBefore, turns.Last.Resumed, turns.Last.Outcome));
        Assert.Equal((1, 1, 0), (region.Board.Devcfg.PcapSelections, region.Board.Devcfg.IcapSelections, region.Board.Devcfg.Collisions));
        Assert.Equal(SemState.Observation, region.Board.Sem.State);
    }

    [Fact]
    public void A_sem_that_never_idles_fails_every_attempt_as_engine_busy_and_faults_the_partition_untouched()
    {
        var (region, turns) = WithTurns();
        region.Board.SemIgnoresIdle = true;
        var manager = Sys.ActorOf(region.Props());
        Sys.EventStream.Subscribe(TestActor, typeof(Observed.RegionEvent));

        manager.Tell(new RegionCommands.Load("conv3x3_int16"));

        var failures = new List<RegionEvents.SwapFailed>();
        FishForMessage(m =>
        {
            if (m is Observed.RegionEvent { Event: RegionEvents.SwapFailed failed })
            {
                failures.Add(failed);
            }
            return m is RegionReplies.LoadFailed;
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(3, failures.Count);
        Assert.All(failures, f =>
        {
            Assert.Equal(nameof(PortFailure.ConfigurationEngineBusy), f.Failure);
            Assert.False(f.RegionStateUnknown);
            Assert.Contains("did not report idle within 100 ms", f.Reason);
        });
        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Faulted, s.Status));
        Assert.Null(region.Board.Device.ModuleIn(SimulatedRegion.Partition));
        Assert.Equal((0, 3L), (region.Board.Devcfg.PcapSelections, turns.Refused));
        Assert.False(region.Hardware.IsDecoupled);
    }

    [Fact]
    public void The_monitor_counts_upsets_per_partition_and_in_the_static_design()
    {
        var region = new SimulatedRegion();
        var probe = CreateTestProbe();
        var monitor = Sys.ActorOf(SemMonitorActor.Props(SimulatedRegion.PynqZ2, new Dictionary<string, IActorRef> { ["conv"] = probe.Ref }));
        region.Board.SemOutput += lines => monitor.Tell(new SemMonitorActor.Lines(lines));

        region.Board.Strike(SimulatedRegion.Partition, correctable: true);
        region.Board.Strike(null, correctable: false);

        probe.ExpectMsg<RegionCommands.ReportUpset>(u => Assert.True(u.Corrected));
        AwaitAssert(() =>
        {
            monitor.Tell(new SemMonitorActor.GetHealth());
            ExpectMsg<SemMonitorActor.Health>(h =>
            {
                Assert.False(h.Healthy);
                Assert.Equal(new Dictionary<string, long> { ["conv"] = 1, [SemMonitorActor.StaticRegion] = 1 }, h.UpsetsByPartition);
                Assert.StartsWith("uncorrectable upset in ", h.LastUpset);
            });
        });
    }
}
