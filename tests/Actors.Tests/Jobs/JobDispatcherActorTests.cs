using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Tests.Regions;
using Dpr.Fabric.Convolution;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>Jobs end to end on the simulated board: intake → dispatcher → scheduler → region → module → result.</summary>
public sealed class JobDispatcherActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _results = Path.Combine(Path.GetTempPath(), $"dpr-dispatch-{Guid.NewGuid():N}");
    private IActorRef? _dispatcher;

    public JobDispatcherActorTests()
        : base(TestNode.Config)
    {
    }

    private static JobRequest Request(string module, int seed, bool cpu = false) =>
        TestJobs.Sample(module, seed, $"tenant-{seed % 3}", cpu);

    private (IActorRef Intake, ResultStore Results, IActorRef[] All) Start(string board, SimulatedRegion region, string generation = "1", IBlobStore? blobs = null)
    {
        var manager = Sys.ActorOf(region.Props(new Dpr.Actors.Regions.RegionOptions(RetryBackoff: TimeSpan.FromMilliseconds(5))), $"region-{board}-{generation}");
        var results = new ResultStore(_results, TimeSpan.FromDays(1));
        var intake = Sys.ActorOf(JobIntakeActor.Props(board, new JobIntakeOptions(), TimeProvider.System, null));
        var dispatcher = Sys.ActorOf(JobDispatcherActor.Props(
            "pynq-z2", intake, new Dictionary<string, IActorRef> { ["conv"] = manager }, SimulatedRegion.Catalog,
            new SchedulerOptions { AgingBound = TimeSpan.FromMilliseconds(50) }, results, new ConvKernel(1), TimeProvider.System, blobs));
        intake.Tell(new JobIntakeActor.Subscribe(dispatcher));
        _dispatcher = dispatcher;
        return (intake, results, [intake, dispatcher, manager]);
    }

    [Fact]
    public void Every_accepted_job_completes_once_with_the_reference_result()
    {
        var (intake, results, _) = Start("e2e", new SimulatedRegion());
        var modules = new[] { "conv3x3_int8", "conv5x5_int16", "conv3x3_int32" };
        var requests = Enumerable.Range(0, 24).Select(i => Request(modules[i % 3], i)).ToList();

        foreach (var r in requests)
        {
            intake.Tell(new JobCommands.Submit(r));
        }
        var ids = ReceiveN(24, TimeSpan.FromSeconds(10)).Cast<JobReplies.Accepted>().Select(a => a.JobId).ToList();

        AwaitCompleted(intake, ids);
        for (var i = 0; i < ids.Count; i++)
        {
            var (meta, data) = results.TryLoad(ids[i])!.Value;
            var problem = requests[i].ToProblem();
            Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(data, problem.Spec.Module.Bits / 8));
            Assert.Equal("conv", meta.RanOn);
        }
    }

    [Fact]
    public void After_a_crash_every_accepted_job_still_completes_exactly_once()
    {
        var first = new SimulatedRegion();
        var (intake, _, actors) = Start("crash", first);
        var requests = Enumerable.Range(0, 30).Select(i => Request(i % 2 == 0 ? "conv3x3_int8" : "conv5x5_int8", i)).ToList();
        foreach (var r in requests)
        {
            intake.Tell(new JobCommands.Submit(r));
        }
        var ids = ReceiveN(30, TimeSpan.FromSeconds(10)).Cast<JobReplies.Accepted>().Select(a => a.JobId).ToList();

        // Everything stops at once, some jobs done, some running, some queued.
        foreach (var actor in actors)
        {
            Watch(actor);
            Sys.Stop(actor);
        }
        Assert.All(ReceiveN(3, TimeSpan.FromSeconds(10)), m => Assert.IsType<Terminated>(m));

        var (restarted, results, _) = Start("crash", new SimulatedRegion(), generation: "2");
        AwaitCompleted(restarted, ids);
        for (var i = 0; i < ids.Count; i++)
        {
            var problem = requests[i].ToProblem();
            Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(results.TryLoad(ids[i])!.Value.Data, 1));
        }
    }

    [Fact]
    public void A_poisoned_job_beside_a_hundred_others_leaves_them_all_completed_with_the_reference_result()
    {
        var (intake, results, _) = Start("poison", new SimulatedRegion());
        // A deadline no submission check lets through (as from an old journal): it must not stall the board.
        var poisoned = Request("conv3x3_int8", 999) with { Tenant = "mallory", Deadline = DateTimeOffset.MinValue };
        intake.Tell(new JobCommands.Submit(poisoned, Checked: true));
        var poisonedId = ExpectMsg<JobReplies.Accepted>().JobId;
        var modules = new[] { "conv3x3_int8", "conv5x5_int16", "conv3x3_int32" };
        var requests = Enumerable.Range(0, 100).Select(i => Request(modules[i % 3], i)).ToList();
        foreach (var r in requests)
        {
            intake.Tell(new JobCommands.Submit(r));
        }
        var ids = ReceiveN(100, TimeSpan.FromSeconds(20)).Cast<JobReplies.Accepted>().Select(a => a.JobId).ToList();

        AwaitCompleted(intake, ids);
        for (var i = 0; i < ids.Count; i++)
        {
            var problem = requests[i].ToProblem();
            Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(results.TryLoad(ids[i])!.Value.Data, problem.Spec.Module.Bits / 8));
        }
        // The poisoned job itself ends too, one way or the other: nothing stays open.
        AwaitAssert(() =>
        {
            intake.Tell(new JobCommands.GetJob(poisonedId));
            ExpectMsg<JobReplies.JobStatus>(s => Assert.Contains(s.State, new[] { JobState.Completed, JobState.Failed }));
        });
    }

    [Fact]
    public void Inputs_from_the_blob_store_and_raw_outputs_are_stored_as_the_reference_bytes()
    {
        var blobs = new BlobStore(Path.Combine(_results, "blobs"));
        var (intake, results, _) = Start("bytes", new SimulatedRegion(), blobs: blobs);
        var rng = new Random(7);
        byte[] Bytes(int count)
        {
            var bytes = new byte[count];
            rng.NextBytes(bytes);
            return bytes;
        }
        var requests = new[]
        {
            // Over the inline limit: the submitter puts the input in the blob store, the dispatcher reads it when the job starts.
            new JobRequest("t", "conv3x3_int8", 1, "same", 5, "requantized", [1, 1, 300, 260], Bytes(78_000), [1, 1, 3, 3], Bytes(9), [-77]).Offload(blobs),
            // Raw Int64 output summed over three input channels by the driver.
            new JobRequest("t", "conv5x5_int16", 2, "valid", 0, "raw", [2, 3, 11, 9], Bytes(2 * 3 * 11 * 9 * 2), [2, 3, 5, 5], Bytes(2 * 3 * 25 * 2), [1L << 40, -5]),
            // Raw Int64 output of a single channel, the bias added by the module.
            new JobRequest("t", "conv3x3_int32", 1, "same", 0, "raw", [1, 1, 7, 5], Bytes(7 * 5 * 4), [1, 1, 3, 3], Bytes(9 * 4), [long.MaxValue]),
        };
        Assert.NotNull(requests[0].InputBlob);

        foreach (var r in requests)
        {
            intake.Tell(new JobCommands.Submit(r, Checked: true));
        }
        var ids = ReceiveN(3, TimeSpan.FromSeconds(10)).Cast<JobReplies.Accepted>().Select(a => a.JobId).ToList();

        AwaitCompleted(intake, ids);
        for (var i = 0; i < ids.Count; i++)
        {
            var problem = requests[i].Inline(blobs).ToProblem();
            var expected = problem.Spec.Output == ConvOutputMode.Raw
                ? TensorBytes.EncodeRaw(ConvReference.Raw(problem))
                : TensorBytes.Encode(ConvReference.Requantized(problem), 1);
            var (meta, data) = results.TryLoad(ids[i])!.Value;
            Assert.Equal(expected, data);
            Assert.Equal(("conv", problem.Spec.Output.ToString().ToLowerInvariant()), (meta.RanOn, meta.Output));
        }
    }

    [Fact]
    public void When_the_board_is_faulted_jobs_run_on_the_cpu()
    {
        var faults = new Fabric.Ports.FaultPlan().OnWrite(1, Fabric.Ports.SimulatedFault.Fail).OnWrite(2, Fabric.Ports.SimulatedFault.Fail).OnWrite(3, Fabric.Ports.SimulatedFault.Fail);
        var (intake, results, _) = Start("faulted", new SimulatedRegion(faults));
        var request = Request("conv3x3_int16", 5);

        intake.Tell(new JobCommands.Submit(request));
        var id = ExpectMsg<JobReplies.Accepted>().JobId;

        AwaitAssert(
            () =>
            {
                intake.Tell(new JobCommands.GetJob(id));
                ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal((JobState.Completed, "cpu"), (s.State, s.Partition)));
            },
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(200));
        var (meta, data) = results.TryLoad(id)!.Value;
        Assert.Equal("cpu", meta.RanOn);
        Assert.Equal(ConvReference.Requantized(request.ToProblem()), TensorBytes.Decode(data, 2));
    }

    [Fact]
    public void A_queued_job_can_be_cancelled_and_the_cancellation_is_on_record()
    {
        // The swap hangs, so the job stays queued behind it.
        var (intake, results, _) = Start("cancel", new SimulatedRegion(new Fabric.Ports.FaultPlan().OnWrite(1, Fabric.Ports.SimulatedFault.Hang)));
        intake.Tell(new JobCommands.Submit(Request("conv3x3_int8", 1)));
        var id = ExpectMsg<JobReplies.Accepted>().JobId;

        AwaitAssert(() =>
        {
            _dispatcher!.Tell(new JobDispatcherActor.Cancel(id, "tenant-1"));
            Assert.Equal(CancelOutcome.Cancelled, ExpectMsg<CancelOutcome>());
        });

        AwaitAssert(() =>
        {
            intake.Tell(new JobCommands.GetJob(id));
            ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Cancelled, s.State));
        });
        Assert.Null(results.TryLoad(id));
    }

    [Fact]
    public void Drain_lets_the_running_job_finish_and_starts_no_other()
    {
        var (intake, _, _) = Start("drain", new SimulatedRegion());
        intake.Tell(new JobCommands.Submit(Request("conv3x3_int8", 1)));
        var first = ExpectMsg<JobReplies.Accepted>().JobId;
        AwaitAssert(() =>
        {
            intake.Tell(new JobCommands.GetJob(first));
            ExpectMsg<JobReplies.JobStatus>(s => Assert.NotEqual(JobState.Queued, s.State));
        });

        _dispatcher!.Tell(new JobDispatcherActor.Drain());
        ExpectMsg<JobDispatcherActor.Drained>(TimeSpan.FromSeconds(10));
        intake.Tell(new JobCommands.Submit(Request("conv5x5_int16", 2)));
        var second = ExpectMsg<JobReplies.Accepted>().JobId;

        AwaitCompleted(intake, [first]);
        // Once the dispatcher knows the second job, it is still queued there: a stopped driver starts nothing.
        AwaitAssert(() =>
        {
            _dispatcher.Tell(new JobDispatcherActor.Cancel(second, "tenant-2"));
            Assert.Equal(CancelOutcome.Cancelled, ExpectMsg<CancelOutcome>());
        });
    }

    private void AwaitCompleted(IActorRef intake, IReadOnlyList<Guid> ids) =>
        AwaitAssert(
            () =>
            {
                foreach (var id in ids)
                {
                    intake.Tell(new JobCommands.GetJob(id));
                    ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Completed, s.State));
                }
            },
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(200));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (Directory.Exists(_results))
        {
            Directory.Delete(_results, recursive: true);
        }
    }
}
