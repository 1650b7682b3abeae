using Akka.Actor;
using Akka.Persistence.TestKit;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Jobs;

public class JobIntakeActorTests : Akka.TestKit.Xunit2.TestKit
{
    public JobIntakeActorTests()
        : base(TestNode.Config)
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

    private IActorRef Intake(IJobIndex index, string board, JobIntakeOptions? options = null, TimeProvider? time = null) =>
        Sys.ActorOf(JobIntakeActor.Props(board, options ?? new JobIntakeOptions(), time ?? TimeProvider.System, null, index));

    private JobIntakeActor.Kept Held(IActorRef intake)
    {
        intake.Tell(JobIntakeActor.GetKept.Instance);
        return ExpectMsg<JobIntakeActor.Kept>();
    }

    private Guid Accept(IActorRef intake, JobRequest request)
    {
        intake.Tell(new JobCommands.Submit(request));
        return ExpectMsg<JobReplies.Accepted>(a => Assert.False(a.Duplicate)).JobId;
    }

    [Fact]
    public void Finished_jobs_go_to_the_index_and_once_it_has_them_the_intake_holds_only_open_ones()
    {
        var index = new GatedJobIndex();
        var intake = Intake(index, "index");
        var ids = Enumerable.Range(0, 60).Select(i => Accept(intake, Request(tenant: $"t{i % 3}", key: $"k{i}", fill: (sbyte)i))).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            object record = (i % 3) switch
            {
                0 => new JobCommands.RecordCompleted(ids[i], "r", "conv"),
                1 => new JobCommands.RecordFailed(ids[i], "bad luck"),
                _ => new JobCommands.RecordStarted(ids[i], "conv", "conv3x3_int8", 1),
            };
            intake.Tell(record);
        }
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();

        AwaitAssert(() => Assert.Equal(20, Held(intake).Jobs.Count));
        Assert.All(Held(intake).Jobs.Values, j => Assert.Equal(JobState.Running, j.State));
        Assert.Equal(40, index.Count);
        var failed = index[ids[1]]!;
        Assert.Equal((JobState.Failed, "bad luck", "t1", "k1"), (failed.State, failed.Error, failed.Tenant, failed.IdempotencyKey));
        Assert.NotNull(failed.FinishedAt);
        // Answered by the index from now on, not the intake.
        intake.Tell(new JobCommands.GetJob(ids[0]));
        ExpectMsg<JobReplies.NotFound>();
        intake.Tell(new JobCommands.GetJob(ids[2]));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Running, s.State));
    }

    [Fact]
    public void A_finished_job_is_held_until_the_index_has_it_and_written_again_after_a_failed_write()
    {
        var index = new GatedJobIndex();
        index.FailWrites(true);
        var intake = Intake(index, "index-fails", new JobIntakeOptions(RetryAfter: TimeSpan.FromMilliseconds(200)));
        var id = Accept(intake, Request());

        intake.Tell(new JobCommands.RecordFailed(id, "bad luck"));

        AwaitCondition(() => index.WritesStarted >= 2);
        intake.Tell(new JobCommands.GetJob(id));
        ExpectMsg<JobReplies.JobStatus>(s => Assert.Equal(JobState.Failed, s.State));
        index.FailWrites(false);
        AwaitAssert(() => Assert.Empty(Held(intake).Jobs));
        Assert.Equal(JobState.Failed, index[id]!.State);
    }

    [Fact]
    public void A_restart_holds_only_the_open_jobs_and_stores_the_finished_ones_it_replays_again()
    {
        var index = new GatedJobIndex();
        var intake = Intake(index, "replay");
        var done = Accept(intake, Request());
        var open = Accept(intake, Request(fill: 9));
        // The process dies before the index has the finished job: its outcome is in the journal only.
        index.HoldWrites();
        intake.Tell(new JobCommands.RecordCompleted(done, "r", "conv"));
        intake.Tell(new JobIntakeActor.Sync());
        ExpectMsg<JobIntakeActor.Synced>();
        AwaitCondition(() => index.WritesStarted == 1);
        Watch(intake);
        Sys.Stop(intake);
        ExpectTerminated(intake);
        index.ReleaseWrites();
        index.Delete([done]);

        var again = Intake(index, "replay");

        AwaitAssert(() => Assert.Equal([open], Held(again).Jobs.Keys));
        Assert.Equal(JobState.Completed, index[done]!.State);
    }

    [Fact]
    public void A_key_of_a_job_the_intake_let_go_is_found_in_the_index()
    {
        var index = new GatedJobIndex();
        var intake = Intake(index, "key-indexed");
        var id = Accept(intake, Request(key: "once"));
        intake.Tell(new JobCommands.RecordCompleted(id, "r", "conv"));
        AwaitAssert(() => Assert.Empty(Held(intake).Jobs));

        intake.Tell(new JobCommands.Submit(Request(key: "once")));

        ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((id, true), (a.JobId, a.Duplicate)));
    }

    [Fact]
    public void FindKey_says_whether_a_submission_with_the_key_would_find_a_job_held_or_in_the_index()
    {
        var index = new GatedJobIndex();
        var intake = Intake(index, "find-key");
        var held = Accept(intake, Request(key: "held"));
        var done = Accept(intake, Request(key: "done", fill: 5));
        intake.Tell(new JobCommands.RecordCompleted(done, "r", "conv"));
        AwaitAssert(() => Assert.Equal([held], Held(intake).Jobs.Keys));

        foreach (var (tenant, key, expected) in new[] { ("t1", "held", true), ("t1", "done", true), ("t1", "never", false), ("t2", "held", false) })
        {
            intake.Tell(new JobCommands.FindKey(tenant, key));
            ExpectMsg<JobReplies.KeyHeld>(k => Assert.True(k.Held == expected, $"{tenant}/{key}: held {k.Held}"));
        }
    }

    [Fact]
    public void A_key_is_found_while_its_job_moves_from_the_intake_to_the_index_and_reserved_while_the_index_is_asked()
    {
        var index = new GatedJobIndex();
        var intake = Intake(index, "key-race");
        var moving = Accept(intake, Request(key: "moving"));
        var probes = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToList();

        // The job finishes; its index row is not committed yet: the intake answers for its key.
        index.HoldWrites();
        intake.Tell(new JobCommands.RecordCompleted(moving, "r", "conv"));
        AwaitCondition(() => index.WritesStarted == 1);
        intake.Tell(new JobCommands.Submit(Request(key: "moving")), probes[0]);
        probes[0].ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((moving, true), (a.JobId, a.Duplicate)));

        // A new key: reserved while the index is asked, so the same key again waits for that answer.
        index.HoldLookUps();
        intake.Tell(new JobCommands.Submit(Request(key: "fresh")), probes[1]);
        AwaitCondition(() => index.LookUpsStarted == 1);
        intake.Tell(new JobCommands.Submit(Request(key: "fresh")), probes[2]);
        // The moving job's row is committed and the intake lets go of it while that look-up is under way.
        index.ReleaseWrites();
        AwaitAssert(() => Assert.DoesNotContain(moving, Held(intake).Jobs.Keys));
        intake.Tell(new JobCommands.Submit(Request(key: "moving")), probes[3]);
        probes[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        probes[2].ExpectNoMsg(TimeSpan.Zero);
        probes[3].ExpectNoMsg(TimeSpan.Zero);
        index.ReleaseLookUps();

        var fresh = probes[1].ExpectMsg<JobReplies.Accepted>(a => Assert.False(a.Duplicate)).JobId;
        probes[2].ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((fresh, true), (a.JobId, a.Duplicate)));
        probes[3].ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((moving, true), (a.JobId, a.Duplicate)));
    }

    [Fact]
    public void A_key_the_index_cannot_be_asked_about_is_refused_as_unavailable_and_nothing_is_accepted()
    {
        var index = new ThrowingLookUps();
        var intake = Intake(index, "key-down");

        intake.Tell(new JobCommands.Submit(Request(key: "k")));

        ExpectMsg<JobReplies.Rejected>(r => Assert.Equal(RejectionCode.JournalUnavailable, r.Code));
        Assert.Empty(Held(intake).Jobs);
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
    public void A_tenant_past_its_board_time_is_refused_while_another_tenant_and_a_first_job_larger_than_the_quota_are_accepted()
    {
        var small = RunTimeEstimator.BoardTime(Request());
        var large = RunTimeEstimator.BoardTime(Request(h: 20_000));
        var quota = small * 2.5;
        Assert.True(large > quota * 4, $"{large} against {quota}");
        var intake = Intake(new JobIntakeOptions(MaxOpenWorkPerTenant: quota, RetryAfter: TimeSpan.FromSeconds(3)));

        intake.Tell(new JobCommands.Submit(Request()));
        intake.Tell(new JobCommands.Submit(Request()));
        intake.Tell(new JobCommands.Submit(Request()));
        intake.Tell(new JobCommands.Submit(Request(tenant: "t2", h: 20_000)));
        intake.Tell(new JobCommands.Submit(Request(tenant: "t2")));
        intake.Tell(new JobCommands.Submit(Request(tenant: "t3")));

        // Refusals are answered at once, acceptances once stored: the replies' order is not the submissions'.
        var replies = ReceiveN(6);
        Assert.Equal(4, replies.OfType<JobReplies.Accepted>().Count());
        var refused = replies.OfType<JobReplies.Rejected>().OrderBy(r => r.Message, StringComparer.Ordinal).ToList();
        Assert.All(refused, r => Assert.Equal((RejectionCode.TenantQuota, TimeSpan.FromSeconds(3)), (r.Code, r.RetryAfter)));
        Assert.Equal(["tenant 't1'", "tenant 't2'"], refused.Select(r => r.Message[..11]));
        Assert.Contains("of board time in 2 open jobs", refused[0].Message);
        Assert.Contains("of board time in 1 open jobs", refused[1].Message);
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

    /// <summary>An index whose key look-ups fail, as a database that is down.</summary>
    private sealed class ThrowingLookUps : IJobIndex
    {
        private readonly GatedJobIndex _index = new();

        public Task StoreAsync(IReadOnlyCollection<JobRecord> jobs) => _index.StoreAsync(jobs);

        public JobRecord? Find(Guid jobId) => _index.Find(jobId);

        public IReadOnlyDictionary<(string Tenant, string Key), Guid> FindKeys(IReadOnlyCollection<(string Tenant, string Key)> keys) =>
            throw new TimeoutException("the index is down");

        public IReadOnlyList<JobRecord> List(string tenant, JobState? state, int limit) => _index.List(tenant, state, limit);

        public bool Names(string key) => _index.Names(key);

        public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset horizon, int limit) => _index.FinishedBefore(horizon, limit);

        public int Delete(IReadOnlyCollection<Guid> jobIds) => _index.Delete(jobIds);

        public void Dispose()
        {
        }
    }
}
