using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Dpr.Actors.Modules;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Ports;
using Dpr.TestKit;
using Dpr.Tests;

namespace Dpr.Actors.Tests.Regions;

public class RegionManagerActorTests : Akka.TestKit.Xunit2.TestKit
{
    public RegionManagerActorTests()
        : base(TestNode.Config)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));

    private static ConvProblem Problem(string module, int seed = 1)
    {
        var m = ConvModule.Resolve(module);
        var rng = new Random(seed);
        int Value() => (int)rng.NextInt64(m.MinValue, m.MaxValue + 1);
        var k = m.KernelSize;
        return ConvProblem.Create(
            new ConvSpec(m, 1, ConvPadding.Same, 2, ConvOutputMode.Requantized),
            new TensorShape(1, 2, 7, 6), Enumerable.Range(0, 84).Select(_ => Value()).ToArray(),
            new TensorShape(2, 2, k, k), Enumerable.Range(0, 4 * k * k).Select(_ => Value()).ToArray());
    }

    [Fact]
    public void Load_swaps_once_then_hits_and_runs_jobs_bit_exact()
    {
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props(), "region-1");

        manager.Tell(new RegionCommands.Load("conv3x3_8bit"));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.Equal(("conv3x3_int8", false), (l.Module, l.Hit)));
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.Loaded>(l => Assert.True(l.Hit));
        Assert.Equal("conv3x3_int8", region.Board.Device.ModuleIn(SimulatedRegion.Partition));

        var problem = Problem("conv3x3_int8");
        var job = Guid.NewGuid();
        manager.Tell(new ModuleCommands.Run(job, ConvJob.Encode(problem)));
        var done = ExpectMsg<ModuleReplies.Completed>();
        Assert.Equal(job, done.JobId);
        Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(done.Result.Output, 1));

        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, "conv3x3_int8", 1L), (s.Status, s.Module, s.Swaps)));
    }

    [Fact]
    public void Unknown_module_is_refused_with_the_known_names()
    {
        var manager = Sys.ActorOf(new SimulatedRegion().Props());

        manager.Tell(new RegionCommands.Load("conv7x7_int8"));

        var failed = ExpectMsg<RegionReplies.LoadFailed>();
        Assert.Contains("unknown module 'conv7x7_int8'", failed.Reason);
        Assert.Contains("conv5x5_int32", failed.Reason);
    }

    [Fact]
    public void A_job_for_a_module_that_is_not_loaded_is_handed_back()
    {
        var manager = Sys.ActorOf(new SimulatedRegion().Props());
        var job = Guid.NewGuid();

        manager.Tell(new ModuleCommands.Run(job, ConvJob.Encode(Problem("conv5x5_int8"))));

        ExpectMsg<ModuleReplies.HandedBack>(h => Assert.Equal(job, h.JobId));
    }

    [Fact]
    public void A_failed_write_is_retried_and_on_record()
    {
        var region = new SimulatedRegion(new FaultPlan().OnWrite(1, SimulatedFault.PartialWrite));
        var manager = Sys.ActorOf(region.Props());

        manager.Tell(new RegionCommands.Load("conv5x5_int16"));

        ExpectMsg<RegionReplies.Loaded>(l => Assert.False(l.Hit));
        Assert.Equal(2, region.Board.Port.Writes);
        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, 1L, 1L), (s.Status, s.Swaps, s.FailedSwaps)));
    }

    [Fact]
    public void A_hanging_write_times_out_and_is_retried()
    {
        var region = new SimulatedRegion(new FaultPlan().OnWrite(1, SimulatedFault.Hang));
        var manager = Sys.ActorOf(region.Props(new RegionOptions(RetryBackoff: TimeSpan.FromMilliseconds(10), SwapTimeout: TimeSpan.FromMilliseconds(200))));

        manager.Tell(new RegionCommands.Load("conv3x3_int32"));

        ExpectMsg<RegionReplies.Loaded>();
        Assert.Equal("conv3x3_int32", region.Board.Device.ModuleIn(SimulatedRegion.Partition));
    }

    [Fact]
    public void Past_the_retry_bound_the_partition_is_faulted_until_reset()
    {
        var faults = new FaultPlan().OnWrite(1, SimulatedFault.Corrupt).OnWrite(2, SimulatedFault.Fail).OnWrite(3, SimulatedFault.PartialWrite);
        var region = new SimulatedRegion(faults);
        var manager = Sys.ActorOf(region.Props());

        manager.Tell(new RegionCommands.Load("conv3x3_int16"));
        ExpectMsg<RegionReplies.LoadFailed>(f => Assert.Contains("3 attempts", f.Reason));
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.LoadFailed>(f => Assert.Contains("faulted", f.Reason));
        Assert.Equal(3, region.Board.Port.Writes);

        manager.Tell(new RegionCommands.Reset("operator"));
        ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Unknown, s.Status));
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.Loaded>();
    }

    [Fact]
    public void An_upset_reloads_the_module_and_a_storm_faults_the_partition()
    {
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props(new RegionOptions(MaxUpsetReloadsPerMinute: 2)));
        manager.Tell(new RegionCommands.Load("conv5x5_int8"));
        ExpectMsg<RegionReplies.Loaded>();
        var frame = SimulatedRegion.PynqZ2.FramesOf(SimulatedRegion.Partition).First();

        region.Board.Device.InjectUpset(frame, 1, 1);
        manager.Tell(new RegionCommands.ReportUpset(frame.Value, 1, 1, Corrected: false));
        AwaitAssert(() =>
        {
            manager.Tell(new RegionCommands.GetState());
            ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, 2L), (s.Status, s.Swaps)));
        });
        Assert.Equal("conv5x5_int8", region.Board.Device.ModuleIn(SimulatedRegion.Partition));

        manager.Tell(new RegionCommands.ReportUpset(frame.Value, 2, 2, Corrected: true));
        manager.Tell(new RegionCommands.ReportUpset(frame.Value, 3, 3, Corrected: true));
        AwaitAssert(() =>
        {
            manager.Tell(new RegionCommands.GetState());
            ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Faulted, s.Status));
        });
    }

    [Fact]
    public void The_upset_rate_bound_counts_on_the_monotonic_clock_so_a_wall_clock_jump_hides_no_storm()
    {
        var clock = new JumpingClock();
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(region.Props(new RegionOptions(MaxUpsetReloadsPerMinute: 2), clock));
        manager.Tell(new RegionCommands.Load("conv5x5_int8"));
        ExpectMsg<RegionReplies.Loaded>();
        var frame = SimulatedRegion.PynqZ2.FramesOf(SimulatedRegion.Partition).First().Value;

        manager.Tell(new RegionCommands.ReportUpset(frame, 1, 1, Corrected: true));
        // The board learns the date: on the wall clock the first upset is now 50 years old.
        clock.Jump(TimeSpan.FromDays(365 * 50));
        manager.Tell(new RegionCommands.ReportUpset(frame, 2, 2, Corrected: true));
        manager.Tell(new RegionCommands.ReportUpset(frame, 3, 3, Corrected: true));

        AwaitAssert(() =>
        {
            manager.Tell(new RegionCommands.GetState());
            ExpectMsg<RegionReplies.State>(s => Assert.Equal(RegionStatus.Faulted, s.Status));
        });
    }

    [Fact]
    public async Task Journal_failure_during_a_swap_reports_no_success_and_the_next_request_works()
    {
        var region = new SimulatedRegion();
        var manager = Sys.ActorOf(Akka.Pattern.BackoffSupervisor.Props(
            Akka.Pattern.Backoff.OnStop(region.Props(), "region", TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), 0, -1)));

        await Journal.OnWrite.Fail();
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.LoadFailed>(f => Assert.Contains("journal", f.Reason));

        await Journal.OnWrite.Pass();
        await AwaitAssertAsync(async () =>
        {
            var reply = await manager.Ask<IRegionReply>(new RegionCommands.Load("conv3x3_int8"), TimeSpan.FromSeconds(2));
            Assert.IsType<RegionReplies.Loaded>(reply);
        });
        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, 1L), (s.Status, s.Swaps)));
    }

    [Fact]
    public void Stopped_between_swap_started_and_completed_the_partition_is_reloaded_before_any_job()
    {
        var hanging = new SimulatedRegion(new FaultPlan().OnWrite(1, SimulatedFault.Hang));
        var first = Sys.ActorOf(hanging.Props(new RegionOptions(SwapTimeout: TimeSpan.FromMinutes(1))), "region-crash");
        first.Tell(new RegionCommands.Load("conv5x5_int32"));
        AwaitAssert(() => Assert.Equal(1, hanging.Board.Port.Writes));
        Watch(first);
        Sys.Stop(first);
        ExpectMsg<RegionReplies.LoadFailed>(f => Assert.Contains("stopped", f.Reason));
        ExpectTerminated(first);

        // A new process: a fresh (empty) simulated board, the same journal.
        var fresh = new SimulatedRegion();
        var second = Sys.ActorOf(fresh.Props(), "region-crash");
        var problem = Problem("conv5x5_int32", 9);
        second.Tell(new ModuleCommands.Run(Guid.NewGuid(), ConvJob.Encode(problem)));

        // The reload happens first; the job that arrived during recovery waits for it.
        var reply = ExpectMsg<object>();
        Assert.True(reply is ModuleReplies.Completed or ModuleReplies.HandedBack, reply.GetType().Name);
        if (reply is ModuleReplies.Completed completed)
        {
            Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(completed.Result.Output, 4));
        }
        Assert.Equal("conv5x5_int32", fresh.Board.Device.ModuleIn(SimulatedRegion.Partition));
        second.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal((RegionStatus.Loaded, "conv5x5_int32"), (s.Status, s.Module)));
    }

    [Fact]
    public void Jobs_queued_when_a_swap_comes_finish_or_are_handed_back_never_lost()
    {
        var manager = Sys.ActorOf(new SimulatedRegion().Props());
        manager.Tell(new RegionCommands.Load("conv3x3_int8"));
        ExpectMsg<RegionReplies.Loaded>();
        var jobs = Enumerable.Range(0, 20).Select(i => Guid.NewGuid()).ToList();

        foreach (var job in jobs)
        {
            manager.Tell(new ModuleCommands.Run(job, ConvJob.Encode(Problem("conv3x3_int8", jobs.IndexOf(job)))));
        }
        manager.Tell(new RegionCommands.Load("conv5x5_int16"));

        var replies = ReceiveN(21, TimeSpan.FromSeconds(20));
        Assert.Single(replies.OfType<RegionReplies.Loaded>());
        var answered = replies.Select(r => r switch
        {
            ModuleReplies.Completed c => c.JobId,
            ModuleReplies.HandedBack h => h.JobId,
            _ => Guid.Empty,
        }).Where(id => id != Guid.Empty).ToList();
        Assert.Equal(jobs.Order(), answered.Order());
        // Nothing more was answered: the next message is the reply to this question.
        manager.Tell(new RegionCommands.GetState());
        ExpectMsg<RegionReplies.State>(s => Assert.Equal("conv5x5_int16", s.Module));
    }
}
