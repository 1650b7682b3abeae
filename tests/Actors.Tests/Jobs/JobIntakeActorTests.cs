using Microsoft.Extensions.Time.Testing;
using Akka.Actor;
using Akka.Persistence.TestKit;
using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Tests.Jobs;

public class JobIntakeActorTests : Akka.TestKit.Xunit2.TestKit
{
    public JobIntakeActorTests()
        : base(ActorTestConfig.Config)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    internal static JobRequest Request(string tenant = "t1", string module = "conv3x3_8bit", string? key = null, int h = 6, sbyte fill = 3) =>
        new(tenant, module, 1, "same", 0, "requantized",
            [1, 1, h, 5], Enumerable.Repeat((byte)fill, h * 5).ToArray(),
            [1, 1, 3, 3], Enumerable.Repeat((byte)1, 9).ToArray(),
            IdempotencyKey: key);

    private IActorRef Intake(JobIntakeOptions? options = null, IActorRef? listener = null, string board = "b", TimeProvider? time = null) =>
        Sys.ActorOf(JobIntakeActor.Props(board, options ?? new JobIntakeOptions(), time ?? TimeProvider.System, listener));

    [Fact]
    public void An_accepted_job_is_queued_and_announced()
    {
        var listener = CreateTestProbe();
        var intake = Intake(listener: listener.Ref);

        intake.Tell(new JobCommands.Submit(Request()));

        var accepted = ExpectMsg<JobReplies.Accepted>();
        Assert.False(accepted.Duplicate);
        var announced = listener.ExpectMsg<JobIntakeActor.OpenJob>();
        Assert.Equal((accepted.JobId, "conv3x3_int8"), (announced.JobId, announced.Request.Module));
        intake.Tell(new JobCommands.GetJob(accepted.JobId));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal((JobState.Queued, "t1"), (s.State, s.Tenant)));
    }

    [Fact]
    public void Sync_answers_once_everything_received_before_it_is_stored()
    {
        var intake = Intake(board: "sync");
        var submitter = CreateTestProbe();
        intake.Tell(new JobCommands.Submit(Request()), submitter.Ref);

        intake.Tell(new JobIntakeActor.Sync());

        var accepted = submitter.ExpectMsg<JobReplies.Accepted>();
        ExpectMsg<JobIntakeActor.Synced>();
        Sys.Stop(intake);
        var again = Intake(board: "sync");
        again.Tell(new JobCommands.GetJob(accepted.JobId));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Queued, s.State));
    }

    [Fact]
    public void A_restart_from_a_snapshot_knows_every_job_its_order_keys_and_quota()
    {
        var options = new JobIntakeOptions(SnapshotEvery: 5, MaxOpenJobsPerTenant: 20);
        var intake = Intake(options, board: "snap");
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            intake.Tell(new JobCommands.Submit(Request(tenant: i % 2 == 0 ? "t1" : "t2", key: $"k{i}")));
            ids.Add(ExpectMsg<JobReplies.Accepted>().JobId);
        }
        intake.Tell(new JobCommands.RecordStarted(ids[0], "conv", "conv3x3_int8", 1));
        intake.Tell(new JobCommands.RecordCompleted(ids[0], "r0", "conv"));
        intake.Tell(new JobCommands.RecordFailed(ids[1], "bad luck"));
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();
        intake.Tell(new JobCommands.ListJobs("t1", null, 100));
        var before = ExpectMsg<JobReplies.JobList>().Jobs;
        Sys.Stop(intake);

        var again = Intake(options, board: "snap");

        again.Tell(new JobCommands.ListJobs("t1", null, 100));
        Assert.Equal(before, ExpectMsg<JobReplies.JobList>().Jobs);
        again.Tell(new JobCommands.GetJob(ids[1]));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal((JobState.Failed, "bad luck"), (s.State, s.Error)));
        again.Tell(new JobCommands.Submit(Request(tenant: "t2", key: "k3")));
        ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((ids[3], true), (a.JobId, a.Duplicate)));
        again.Tell(new JobCommands.GetQueueDepths());
        Assert.Equal(10, ExpectMsg<JobReplies.QueueDepths>().Queued["conv3x3_int8"]);
    }

    [Fact]
    public void Finished_jobs_past_the_history_are_forgotten_and_open_ones_kept()
    {
        var options = new JobIntakeOptions(SnapshotEvery: 2, HistoryKept: TimeSpan.FromHours(1));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var intake = Intake(options, board: "history", time: clock);
        intake.Tell(new JobCommands.Submit(Request()));
        var done = ExpectMsg<JobReplies.Accepted>().JobId;
        intake.Tell(new JobCommands.Submit(Request()));
        var open = ExpectMsg<JobReplies.Accepted>().JobId;
        intake.Tell(new JobCommands.RecordCompleted(done, "r", "conv"));
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();
        clock.Advance(TimeSpan.FromHours(2));

        // The next writes pass the snapshot interval (as many events as jobs known): the finished job is
        // forgotten, here and after a restart.
        intake.Tell(new JobCommands.Submit(Request()));
        ExpectMsg<JobReplies.Accepted>();
        intake.Tell(new JobCommands.RecordStarted(open, "conv", "conv3x3_int8", 1));
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();
        intake.Tell(new JobCommands.GetJob(done));
        ExpectMsg<JobReplies.NotFound>();
        Sys.Stop(intake);
        var again = Intake(options, board: "history", time: clock);
        again.Tell(new JobCommands.GetJob(done));
        ExpectMsg<JobReplies.NotFound>();
        again.Tell(new JobCommands.GetJob(open));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Running, s.State));
    }

    [Fact]
    public void Once_a_snapshot_is_stored_the_forgotten_jobs_and_the_blobs_only_they_named_are_told_to_storage()
    {
        var options = new JobIntakeOptions(SnapshotEvery: 2, HistoryKept: TimeSpan.FromHours(1));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var storage = CreateTestProbe();
        IActorRef Start() => Sys.ActorOf(JobIntakeActor.Props("forgotten", options, clock, null, storage.Ref));
        var (a, b) = (new string('a', 64), new string('b', 64));
        Guid Submit(IActorRef intake, string? blob)
        {
            var request = Request(h: 8).Check();
            intake.Tell(new JobCommands.Submit(blob is null ? request : request with { Input = [], InputBlob = blob }, Checked: true));
            return ExpectMsg<JobReplies.Accepted>().JobId;
        }
        var intake = Start();
        var done = Submit(intake, a);
        var failed = Submit(intake, b);
        var open = Submit(intake, b);
        intake.Tell(new JobCommands.RecordCompleted(done, "r", "conv"));
        intake.Tell(new JobCommands.RecordFailed(failed, "bad luck"));
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();
        storage.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        clock.Advance(TimeSpan.FromHours(2));

        // Past the history, the next snapshot forgets both finished jobs; b stays, the open job names it.
        var fresh = Enumerable.Range(0, 3).Select(_ => Submit(intake, null)).ToList();
        foreach (var id in fresh)
        {
            intake.Tell(new JobCommands.RecordStarted(id, "conv", "conv3x3_int8", 1));
            intake.Tell(new JobCommands.RecordCompleted(id, "r", "conv"));
            intake.Tell(new JobIntakeActor.Sync());
            ExpectMsg<JobIntakeActor.Synced>();
        }
        var forgotten = storage.ExpectMsg<ForgottenJobs>();
        Assert.Equal(new[] { done, failed }.Order(), forgotten.Jobs.Order());
        Assert.Equal([a], forgotten.Blobs);

        Watch(intake);
        Sys.Stop(intake);
        ExpectTerminated(intake);
        var again = Start();
        again.Tell(new JobCommands.GetJob(open));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Queued, s.State));
        foreach (var id in fresh)
        {
            again.Tell(new JobCommands.GetJob(id));
            ExpectMsg<JobReplies.JobStatus>();
        }
        again.Tell(new JobCommands.GetJob(done));
        ExpectMsg<JobReplies.NotFound>();
        again.Tell(JobIntakeActor.GetKept.Instance);
        var kept = ExpectMsg<JobIntakeActor.Kept>();
        Assert.Equal(new Dictionary<string, int> { [b] = 1 }, kept.Blobs);
        Assert.Equal(4, kept.Jobs.Count);
    }

    [Fact]
    public async Task A_failed_deletion_of_old_snapshots_is_logged_and_the_intake_goes_on()
    {
        var snapshots = TestSnapshotStore.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null));
        await snapshots.OnDelete.Fail();
        var options = new JobIntakeOptions(SnapshotEvery: 2);
        var intake = Intake(options, board: "delete-fails");
        var ids = new List<Guid>();

        // The second acceptance makes a snapshot; deleting the ones before it fails.
        await EventFilter.Warning(contains: "Deleting job intake snapshots").ExpectOneAsync(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                intake.Tell(new JobCommands.Submit(Request(fill: (sbyte)i)));
                ids.Add((await ExpectMsgAsync<JobReplies.Accepted>()).JobId);
            }
        });
        await snapshots.OnDelete.Pass();
        intake.Tell(new JobCommands.Submit(Request(fill: 9)));
        ids.Add((await ExpectMsgAsync<JobReplies.Accepted>()).JobId);

        Watch(intake);
        Sys.Stop(intake);
        await ExpectTerminatedAsync(intake);
        var again = Intake(options, board: "delete-fails");
        foreach (var id in ids)
        {
            again.Tell(new JobCommands.GetJob(id));
            await ExpectMsgAsync<JobReplies.JobStatus>(s => Assert.Equal(JobState.Queued, s.State));
        }
    }

    [Fact]
    public void A_tenants_jobs_are_listed_newest_first_by_state_and_queued_jobs_counted_per_module()
    {
        var intake = Intake(board: "list");
        var ids = new List<Guid>();
        foreach (var (tenant, module) in new[] { ("t1", "conv3x3_int8"), ("t2", "conv3x3_int8"), ("t1", "conv5x5_int16"), ("t1", "conv3x3_int8") })
        {
            intake.Tell(new JobCommands.Submit(Request(tenant, module) with { WeightShape = module.StartsWith("conv5", StringComparison.Ordinal) ? [1, 1, 5, 5] : [1, 1, 3, 3], Weights = module.EndsWith("16", StringComparison.Ordinal) ? new byte[50] : new byte[9], Input = module.EndsWith("16", StringComparison.Ordinal) ? new byte[60] : new byte[30] }));
            ids.Add(ExpectMsg<JobReplies.Accepted>().JobId);
        }
        intake.Tell(new JobCommands.RecordStarted(ids[3], "conv", "conv3x3_int8", 1));
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();

        intake.Tell(new JobCommands.ListJobs("t1", null, 10));
        Assert.Equal([ids[3], ids[2], ids[0]], ExpectMsg<JobReplies.JobList>().Jobs.Select(j => j.JobId));
        intake.Tell(new JobCommands.ListJobs("t1", JobState.Queued, 1));
        Assert.Equal([ids[2]], ExpectMsg<JobReplies.JobList>().Jobs.Select(j => j.JobId));
        intake.Tell(new JobCommands.GetQueueDepths());
        var depths = ExpectMsg<JobReplies.QueueDepths>().Queued;
        Assert.Equal(new Dictionary<string, int> { ["conv3x3_int8"] = 2, ["conv5x5_int16"] = 1 }, depths);
    }

    [Theory]
    [InlineData("conv7x7_int8", 6, "module")]
    [InlineData("conv3x3_int8", 0, "input.shape")]
    public void Bad_jobs_are_rejected_naming_the_field(string module, int height, string field)
    {
        var intake = Intake();

        intake.Tell(new JobCommands.Submit(Request(module: module, h: height)));

        ExpectMsg<JobReplies.Rejected>(r => Assert.Equal((RejectionCode.Invalid, field, (TimeSpan?)null), (r.Code, r.Field, r.RetryAfter)));
    }

    [Fact]
    public void Values_outside_the_precision_are_rejected()
    {
        var intake = Intake();
        var request = Request(module: "conv3x3_int16") with { Input = new byte[60], Weights = new byte[18] };
        request.Input[0] = 0x00;
        request.Input[1] = 0x80;

        intake.Tell(new JobCommands.Submit(request with { Bias = [long.MaxValue] }));
        ExpectMsg<JobReplies.Accepted>();
        intake.Tell(new JobCommands.Submit(request with { Input = new byte[59] }));
        ExpectMsg<JobReplies.Rejected>(r => Assert.Equal("input", r.Field));
    }

    [Fact]
    public void The_same_idempotency_key_returns_the_same_job_even_within_one_batch()
    {
        // The second submission arrives while the first is being written.
        var intake = Intake();

        intake.Tell(new JobCommands.Submit(Request(key: "k1")));
        intake.Tell(new JobCommands.Submit(Request(key: "k1")));
        intake.Tell(new JobCommands.Submit(Request(tenant: "t2", key: "k1")));

        var replies = ReceiveN(3).Cast<JobReplies.Accepted>().ToList();
        Assert.Equal(replies[0].JobId, replies.Single(r => r.Duplicate).JobId);
        Assert.NotEqual(replies[0].JobId, replies.Last().JobId);
    }

    [Fact]
    public void Over_quota_submissions_are_refused_with_a_time_to_retry()
    {
        var intake = Intake(new JobIntakeOptions(MaxOpenJobsPerTenant: 2, RetryAfter: TimeSpan.FromSeconds(3)));

        for (var i = 0; i < 3; i++)
        {
            intake.Tell(new JobCommands.Submit(Request()));
        }
        intake.Tell(new JobCommands.Submit(Request(tenant: "t2")));

        var replies = ReceiveN(4);
        Assert.Equal(3, replies.OfType<JobReplies.Accepted>().Count());
        var refused = Assert.Single(replies.OfType<JobReplies.Rejected>());
        Assert.Equal((RejectionCode.TenantQuota, TimeSpan.FromSeconds(3)), (refused.Code, refused.RetryAfter));
    }

    [Fact]
    public async Task A_failed_journal_write_means_no_acknowledgement_and_the_client_is_told()
    {
        var intake = Sys.ActorOf(Akka.Pattern.BackoffSupervisor.Props(Akka.Pattern.Backoff.OnStop(
            JobIntakeActor.Props("journal-fail", new JobIntakeOptions(), TimeProvider.System, null), "jobs", TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), 0, -1)));

        await Journal.OnWrite.Fail();
        intake.Tell(new JobCommands.Submit(Request(key: "retry-me")));
        intake.Tell(new JobCommands.Submit(Request()));
        var refused = ReceiveN(2).Cast<JobReplies.Rejected>().ToList();
        Assert.All(refused, r => Assert.Equal(RejectionCode.JournalUnavailable, r.Code));

        await Journal.OnWrite.Pass();
        await AwaitAssertAsync(async () =>
        {
            var reply = await intake.Ask<object>(new JobCommands.Submit(Request(key: "retry-me")), TimeSpan.FromSeconds(2));
            var accepted = Assert.IsType<JobReplies.Accepted>(reply);
            Assert.False(accepted.Duplicate);
        });
    }

    [Fact]
    public void After_a_restart_every_open_job_is_announced_again()
    {
        var first = Intake(board: "restart");
        first.Tell(new JobCommands.Submit(Request()));
        first.Tell(new JobCommands.Submit(Request(fill: 9)));
        var ids = ReceiveN(2).Cast<JobReplies.Accepted>().Select(a => a.JobId).ToHashSet();
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var listener = CreateTestProbe();
        Intake(listener: listener.Ref, board: "restart");

        var announced = listener.ReceiveN(2).Cast<JobIntakeActor.OpenJob>().Select(a => a.JobId).ToHashSet();
        Assert.Equal(ids, announced);
    }

    [Fact]
    public void A_request_becomes_the_problem_it_describes()
    {
        var problem = Request(fill: -2).ToProblem();

        Assert.Equal(ConvModule.Resolve("conv3x3_int8"), problem.Spec.Module);
        Assert.Equal(-2, problem.Input.Span[0]);
        Assert.Equal(new TensorShape(1, 1, 6, 5), problem.OutputShape);
    }

    [Fact]
    public void Large_inputs_stored_as_blobs_by_the_submitter_come_back_inline_and_unchecked_ones_are_refused()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-blobs-{Guid.NewGuid():N}");
        try
        {
            var blobs = new BlobStore(directory);
            var listener = CreateTestProbe();
            var intake = Intake(listener: listener.Ref, board: "blobs");
            var request = Request(h: 8, fill: 7);
            var stored = request.Check().Offload(blobs, inlineLimit: 16);

            intake.Tell(new JobCommands.Submit(stored));
            ExpectMsg<JobReplies.Rejected>(r => Assert.Equal((RejectionCode.Invalid, "input"), (r.Code, r.Field)));
            intake.Tell(new JobCommands.Submit(stored, Checked: true));
            ExpectMsg<JobReplies.Accepted>();

            var accepted = listener.ExpectMsg<JobIntakeActor.OpenJob>();
            Assert.Empty(accepted.Request.Input);
            Assert.NotNull(accepted.Request.InputBlob);
            Assert.Equal(request.Input, accepted.Request.Inline(blobs).Input);
            Assert.Equal(request.ToProblem().Input.ToArray(), accepted.Request.Inline(blobs).ToProblem().Input.ToArray());
            File.WriteAllBytes(Path.Combine(directory, accepted.Request.InputBlob!), [1, 2, 3]);
            Assert.Throws<InvalidDataException>(() => accepted.Request.Inline(blobs));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
