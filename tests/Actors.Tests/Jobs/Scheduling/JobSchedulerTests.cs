using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

public class JobSchedulerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] All = ["a", "b", "c"];

    private static QueuedJob Job(string module, string tenant = "t", double atMs = 0, double runMs = 1, DateTimeOffset? deadline = null, bool cpu = false) =>
        new(new JobId(Guid.NewGuid()), tenant, module, T0.AddMilliseconds(atMs), Deadline: deadline, EstimatedRun: TimeSpan.FromMilliseconds(runMs), CpuFallbackAllowed: cpu);

    private static PartitionView Part(string name, string? module, bool busy = false, int loadedAt = 0, int lastUsed = 0, bool faulted = false) =>
        new(name, module, busy, module is null ? null : T0.AddSeconds(loadedAt), module is null ? null : T0.AddSeconds(lastUsed), All, faulted);

    private static JobScheduler Admit(SchedulerOptions options, params QueuedJob[] jobs)
    {
        var s = new JobScheduler(options);
        foreach (var j in jobs)
        {
            Assert.IsType<Admission.Admitted>(s.TryEnqueue(j, j.EnqueuedAt));
        }
        return s;
    }

    [Fact]
    public void A_loaded_module_keeps_running_its_jobs_while_no_other_module_is_due()
    {
        var s = Admit(new SchedulerOptions(), Job("b", atMs: 0), Job("a", atMs: 1), Job("a", atMs: 2));
        PartitionView[] parts = [Part("p", "a")];

        var first = Assert.IsType<Assignment.Run>(s.Next("p", parts, T0.AddMilliseconds(3)));
        var second = Assert.IsType<Assignment.Run>(s.Next("p", parts, T0.AddMilliseconds(4)));

        Assert.Equal(["a", "a"], new[] { first.Job.Module, second.Job.Module });
    }

    [Fact]
    public void An_idle_partition_holds_until_the_waiting_module_falls_due_and_then_loads_it()
    {
        var options = new SchedulerOptions();
        var s = Admit(options, Job("b"));
        PartitionView[] parts = [Part("p", "a")];

        var hold = Assert.IsType<Assignment.Hold>(s.Next("p", parts, T0.AddMilliseconds(1)));
        var due = T0 + options.AgingBound - options.Margin - options.SwapCost;
        Assert.Equal(due, hold.Until);
        Assert.IsType<Assignment.Hold>(s.Next("p", parts, due.AddTicks(-1)));
        Assert.Equal(new Assignment.Load("b", "a"), s.Next("p", parts, due));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_empty_partition_holds_a_waiting_module_until_due_unless_it_loads_empty_partitions_at_once(bool atOnce)
    {
        var options = new SchedulerOptions { LoadEmptyAtOnce = atOnce };
        var s = Admit(options, Job("c", atMs: 0), Job("b", atMs: 1));
        PartitionView[] parts = [Part("p", null)];

        var next = s.Next("p", parts, T0.AddMilliseconds(2));

        // The most urgent waiting module (c: its job is the oldest) at once, evicting nothing; else held until the round is due.
        if (atOnce)
        {
            Assert.Equal(new Assignment.Load("c", null), next);
        }
        else
        {
            Assert.True(Assert.IsType<Assignment.Hold>(next).Until > T0.AddMilliseconds(200));
        }
    }

    [Fact]
    public void Loading_empty_partitions_at_once_gives_each_empty_partition_its_own_waiting_module()
    {
        var s = Admit(new SchedulerOptions { LoadEmptyAtOnce = true }, Job("b", atMs: 0), Job("c", atMs: 1));
        PartitionView[] parts = [Part("p0", null), Part("p1", null)];

        Assert.Equal(new Assignment.Load("b", null), s.Next("p0", parts, T0.AddMilliseconds(2)));
        Assert.Equal(new Assignment.Load("c", null), s.Next("p1", [Part("p0", null, busy: true), Part("p1", null)], T0.AddMilliseconds(2)));
    }

    [Fact]
    public void Loading_empty_partitions_at_once_never_evicts_a_loaded_module_before_the_waiting_one_is_due()
    {
        var options = new SchedulerOptions { LoadEmptyAtOnce = true };
        var s = Admit(options, Job("b"));
        PartitionView[] parts = [Part("p", "a")];

        var hold = Assert.IsType<Assignment.Hold>(s.Next("p", parts, T0.AddMilliseconds(1)));

        Assert.Equal(T0 + options.AgingBound - options.Margin - options.SwapCost, hold.Until);
    }

    [Fact]
    public void After_the_batch_bound_the_partition_switches_to_a_waiting_module()
    {
        var s = Admit(new SchedulerOptions { BatchBound = 2 }, Job("a", atMs: 0), Job("a", atMs: 0), Job("a", atMs: 0), Job("b", atMs: 0));
        PartitionView[] parts = [Part("p", "a")];

        Assert.IsType<Assignment.Run>(s.Next("p", parts, T0.AddMilliseconds(1)));
        Assert.IsType<Assignment.Run>(s.Next("p", parts, T0.AddMilliseconds(2)));

        Assert.Equal(new Assignment.Load("b", "a"), s.Next("p", parts, T0.AddMilliseconds(3)));
    }

    [Theory]
    [InlineData(0.03, false)]
    [InlineData(5.0, true)]
    public void A_due_module_gets_a_second_partition_only_when_its_partition_cannot_drain_it_within_a_swap(double runMs, bool second)
    {
        var options = new SchedulerOptions();
        var s = Admit(options, Job("b", runMs: runMs), Job("b", runMs: runMs));
        var now = T0 + options.AgingBound - options.Margin / 2;
        Assert.IsType<Assignment.Run>(s.Next("p1", [Part("p0", "a"), Part("p1", "b")], now));

        // p1 runs one b job and one more waits, past its due time: with short jobs p1 ends both before a load of b
        // into p0 would, so p0 keeps a (a module evicted for nothing is a reconfiguration more when it is needed again).
        var next = s.Next("p0", [Part("p0", "a"), Part("p1", "b", busy: true)], now);
        Assert.Equal(second ? new Assignment.Load("b", "a") : new Assignment.Hold(null), next);
    }

    [Fact]
    public void With_nothing_queued_for_either_the_partition_whose_module_arrives_least_often_gives_way()
    {
        var options = new SchedulerOptions();
        QueuedJob[] earlier = [Job("a", atMs: 0), Job("a", atMs: 1), Job("a", atMs: 2), Job("b", atMs: 3), Job("a", atMs: 4)];
        var s = Admit(options, earlier);
        foreach (var job in earlier)
        {
            Assert.Equal(CancelOutcome.Cancelled, s.Cancel(job.Id));
        }
        var c = Job("c", atMs: 10);
        Assert.IsType<Admission.Admitted>(s.TryEnqueue(c, c.EnqueuedAt));

        // p1 (b) was used more recently, so least-recently-used alone would evict p0 (a); but a's jobs arrive four times as often.
        PartitionView[] parts = [Part("p0", "a", lastUsed: 0), Part("p1", "b", lastUsed: 1)];
        var due = c.EnqueuedAt + options.AgingBound - options.Margin; // past c's due time
        Assert.IsType<Assignment.Hold>(s.Next("p0", parts, due));
        Assert.Equal(new Assignment.Load("c", "b"), s.Next("p1", parts, due));
    }

    [Fact]
    public void Due_modules_are_served_oldest_first()
    {
        var options = new SchedulerOptions { SafetyMargin = TimeSpan.FromMilliseconds(1) };
        var s = Admit(options, Job("b", atMs: 1, deadline: T0.AddMilliseconds(10)), Job("c", atMs: 5, deadline: T0.AddMilliseconds(20)));
        PartitionView[] parts = [Part("p", null)];

        Assert.IsType<Assignment.Hold>(s.Next("p", parts, T0.AddMilliseconds(6)));
        Assert.Equal(new Assignment.Load("b", null), s.Next("p", parts, T0.AddMilliseconds(9)));
    }

    [Fact]
    public void Tenants_share_a_queue_by_weight()
    {
        var s = new JobScheduler(new SchedulerOptions { TenantWeights = new Dictionary<string, double> { ["heavy"] = 2 } });
        PartitionView[] parts = [Part("p", "a")];
        Assert.Null(s.Next("p", parts, T0));
        for (var i = 0; i < 30; i++)
        {
            s.TryEnqueue(Job("a", "heavy", atMs: 1), T0.AddMilliseconds(1));
            s.TryEnqueue(Job("a", "light", atMs: 1), T0.AddMilliseconds(1));
        }

        var served = Enumerable.Range(0, 30).Select(i => ((Assignment.Run)s.Next("p", parts, T0.AddMilliseconds(2 + i))!).Job.Tenant).ToList();

        Assert.Equal(20, served.Count(t => t == "heavy"));
        Assert.Equal(10, served.Count(t => t == "light"));
    }

    [Fact]
    public void A_tenants_old_backlog_does_not_hold_another_tenants_job_on_the_same_module()
    {
        var s = new JobScheduler(new SchedulerOptions());
        PartitionView[] parts = [Part("p", "a")];
        Assert.Null(s.Next("p", parts, T0));
        // mallory's ten 300 ms jobs, accepted whatever the backlog (the service's intake admits by count).
        var backlog = Enumerable.Range(0, 10).Select(_ => Job("a", "mallory", runMs: 300)).ToList();
        backlog.ForEach(s.Requeue);
        var first = Assert.IsType<Assignment.Run>(s.Next("p", parts, T0));
        var bob = Job("a", "bob", atMs: 100, runMs: 0.3);
        s.Requeue(bob);
        s.Finished(first.Job.Id, TimeSpan.FromMilliseconds(300), T0.AddMilliseconds(300));

        var next = Assert.IsType<Assignment.Run>(s.Next("p", parts, T0.AddMilliseconds(300)));

        // Oldest first would run mallory's nine other jobs (2.7 s) before bob's.
        Assert.Equal(bob.Id, next.Job.Id);
    }

    [Fact]
    public void A_tenants_old_backlog_does_not_hold_another_tenants_module_past_the_job_that_is_running()
    {
        var s = new JobScheduler(new SchedulerOptions());
        PartitionView[] parts = [Part("p", "a")];
        Assert.Null(s.Next("p", parts, T0));
        var backlog = Enumerable.Range(0, 10).Select(_ => Job("a", "mallory", runMs: 300)).ToList();
        backlog.ForEach(s.Requeue);
        var first = Assert.IsType<Assignment.Run>(s.Next("p", parts, T0));
        s.Requeue(Job("b", "bob", atMs: 100, runMs: 0.3));
        s.Finished(first.Job.Id, TimeSpan.FromMilliseconds(300), T0.AddMilliseconds(300));

        // Bob's job is due at 350 ms less the margin and the swap: another 300 ms job of mallory's would
        // end past that, so the module is loaded now rather than after her backlog.
        Assert.Equal(new Assignment.Load("b", "a"), s.Next("p", parts, T0.AddMilliseconds(300)));
    }

    [Fact]
    public void Over_the_tenant_quota_a_submission_is_refused_with_a_retry_time()
    {
        var s = Admit(new SchedulerOptions { MaxQueuedPerTenant = 2 }, Job("a"), Job("a"));

        var refused = Assert.IsType<Admission.Refused>(s.TryEnqueue(Job("a"), T0));

        Assert.Equal(RefusalReason.TenantQuota, refused.Reason);
        Assert.Contains("quota 2", refused.Message);
        Assert.True(refused.RetryAfter >= TimeSpan.FromMilliseconds(1));
        Assert.IsType<Admission.Admitted>(s.TryEnqueue(Job("a", tenant: "other"), T0));
    }

    [Fact]
    public void Over_the_global_bound_a_submission_is_refused()
    {
        var s = Admit(new SchedulerOptions { MaxQueuedJobs = 2 }, Job("a", "x"), Job("a", "y"));

        var refused = Assert.IsType<Admission.Refused>(s.TryEnqueue(Job("a", "z"), T0));

        Assert.Equal(RefusalReason.QueueFull, refused.Reason);
        Assert.Contains("limit 2", refused.Message);
    }

    [Fact]
    public void Work_that_cannot_start_within_the_bound_is_refused()
    {
        var s = new JobScheduler(new SchedulerOptions());
        var outcomes = Enumerable.Range(0, 5).Select(_ => s.TryEnqueue(Job("a", runMs: 100), T0)).ToList();

        Assert.All(outcomes.Take(4), o => Assert.IsType<Admission.Admitted>(o));
        var refused = Assert.IsType<Admission.Refused>(outcomes[4]);
        Assert.Equal(RefusalReason.Backlog, refused.Reason);
        Assert.True(refused.RetryAfter >= new SchedulerOptions().Margin);
    }

    [Theory]
    [InlineData(230, true)]
    [InlineData(236, false)]
    public void A_job_for_the_loaded_module_waits_for_the_next_round_and_is_admitted_only_if_that_starts_it_before_the_bound_less_the_margin(double otherWorkMs, bool admitted)
    {
        // The round: a swap, b's work and what arrives for b meanwhile (its work over its age, at most one
        // partition's worth: a swap's worth here), then a swap back to a and the job: b's work + 4 swaps, 236.2 or
        // 242.2 ms, against 250 - 12.5 = 237.5 ms. The bound itself (250 ms) admitted both.
        var options = new SchedulerOptions();
        var s = new JobScheduler(options);
        Assert.Null(s.Next("p", [Part("p", "a")], T0));
        Assert.IsType<Admission.Admitted>(s.TryEnqueue(Job("b", runMs: otherWorkMs), T0));

        var outcome = s.TryEnqueue(Job("a"), T0);

        if (admitted)
        {
            Assert.IsType<Admission.Admitted>(outcome);
        }
        else
        {
            Assert.Equal(RefusalReason.Backlog, Assert.IsType<Admission.Refused>(outcome).Reason);
        }
    }

    [Fact]
    public void A_duplicate_id_is_refused()
    {
        var job = Job("a");
        var s = Admit(new SchedulerOptions(), job);

        var refused = Assert.IsType<Admission.Refused>(s.TryEnqueue(job, T0));

        Assert.Equal(RefusalReason.Duplicate, refused.Reason);
        Assert.Equal(1, s.QueuedCount);
    }

    [Fact]
    public void Cancellation_removes_queued_jobs_and_reports_running_ones()
    {
        var queued = Job("a");
        var running = Job("a");
        var s = Admit(new SchedulerOptions(), running, queued);
        PartitionView[] parts = [Part("p", "a")];
        var run = Assert.IsType<Assignment.Run>(s.Next("p", parts, T0.AddMilliseconds(1)));
        Assert.Equal(running.Id, run.Job.Id);

        Assert.Equal(CancelOutcome.Cancelled, s.Cancel(queued.Id));
        Assert.Equal(CancelOutcome.Running, s.Cancel(running.Id));
        Assert.Equal(CancelOutcome.Unknown, s.Cancel(new JobId(Guid.NewGuid())));
        Assert.Equal(0, s.QueuedCount);
        Assert.True(s.Completed(running.Id));
        Assert.Null(s.Next("p", parts, T0.AddMilliseconds(2)));
    }

    [Fact]
    public void A_requeued_job_keeps_its_original_age()
    {
        var options = new SchedulerOptions();
        var job = Job("b");
        var s = Admit(options, job);
        PartitionView[] b = [Part("p", "b")];
        Assert.IsType<Assignment.Run>(s.Next("p", b, T0.AddMilliseconds(1)));

        s.Requeue(job);

        Assert.Equal(1, s.QueuedCount);
        Assert.Equal(0, s.RunningCount);
        var hold = Assert.IsType<Assignment.Hold>(s.Next("p", [Part("p", "a")], T0.AddMilliseconds(100)));
        Assert.Equal(T0 + options.AgingBound - options.Margin - options.SwapCost, hold.Until);
    }

    [Fact]
    public void The_cpu_takes_everything_when_the_board_is_faulted_and_only_willing_jobs_otherwise()
    {
        var loaded = Job("a", cpu: true);
        var willing = Job("b", atMs: 2, cpu: true);
        var unwilling = Job("b", atMs: 1);
        var s = Admit(new SchedulerOptions(), loaded, willing, unwilling);
        PartitionView[] parts = [Part("p", "a")];

        Assert.Equal([willing.Id], s.TakeForCpu(parts, boardFaulted: false).Select(j => j.Id));
        Assert.Equal([loaded.Id, unwilling.Id], s.TakeForCpu(parts, boardFaulted: true).Select(j => j.Id));
        Assert.Equal(0, s.QueuedCount);
        Assert.Equal(3, s.RunningCount);
    }

    [Fact]
    public void Lookahead_evicts_the_module_needed_furthest_in_the_future()
    {
        var s = Admit(new SchedulerOptions(), Job("a", atMs: 0), Job("c", atMs: 1, deadline: T0));
        PartitionView[] parts = [Part("p0", "a", lastUsed: 0), Part("p1", "b", lastUsed: 9)];

        Assert.IsType<Assignment.Run>(s.Next("p0", parts, T0.AddMilliseconds(2)));
        Assert.Equal(new Assignment.Load("c", "b"), s.Next("p1", [parts[0] with { Busy = true }, parts[1]], T0.AddMilliseconds(2)));
    }

    [Fact]
    public void Lru_and_fifo_evict_by_recency_and_load_order()
    {
        PartitionView[] parts = [Part("p0", "a", loadedAt: 5, lastUsed: 6), Part("p1", "b", loadedAt: 1, lastUsed: 9)];
        var lru = Admit(new SchedulerOptions { Placement = PlacementPolicy.Lru }, Job("c", deadline: T0));
        var fifo = Admit(new SchedulerOptions { Placement = PlacementPolicy.Fifo }, Job("c", deadline: T0));

        Assert.Equal(new Assignment.Load("c", "a"), lru.Next("p0", parts, T0.AddMilliseconds(1)));
        Assert.Equal(new Assignment.Load("c", "b"), fifo.Next("p1", parts, T0.AddMilliseconds(1)));
    }

    [Fact]
    public void Busy_and_faulted_partitions_get_nothing()
    {
        var s = Admit(new SchedulerOptions(), Job("a"));

        Assert.Null(s.Next("p", [Part("p", "a", busy: true)], T0.AddMilliseconds(1)));
        Assert.Null(s.Next("p", [Part("p", "a", faulted: true)], T0.AddMilliseconds(1)));
        Assert.Equal(1, s.QueuedCount);
    }

    [Fact]
    public void Queue_depths_are_counted_per_module_and_tenant()
    {
        var s = Admit(new SchedulerOptions(), Job("a", "x"), Job("a", "y"), Job("b", "x"));

        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 }, s.QueueDepthByModule());
        Assert.Equal(new Dictionary<string, int> { ["x"] = 2, ["y"] = 1 }, s.QueueDepthByTenant());
        Assert.Equal(TimeSpan.FromMilliseconds(3), s.QueuedWork);
    }

    [Fact]
    public void With_prefetch_an_idle_partition_loads_the_waiting_module_at_once_instead_of_holding()
    {
        var s = Admit(new SchedulerOptions { Prefetch = true }, Job("b", atMs: 0), Job("b", atMs: 150));

        Assert.Equal(new Assignment.Load("b", "a", Prefetch: true), s.Next("p", [Part("p", "a")], T0.AddMilliseconds(151)));
    }

    [Fact]
    public void With_nothing_queued_prefetch_loads_the_module_whose_jobs_arrive_most_often()
    {
        var jobs = new[] { Job("c", atMs: 0), Job("b", atMs: 50), Job("b", atMs: 100) };
        var on = Admit(new SchedulerOptions { Prefetch = true }, jobs);
        var off = Admit(new SchedulerOptions(), jobs);
        foreach (var j in jobs)
        {
            on.Cancel(j.Id);
            off.Cancel(j.Id);
        }

        Assert.Equal(new Assignment.Load("b", "a", Prefetch: true), on.Next("p", [Part("p", "a")], T0.AddMilliseconds(130)));
        Assert.Null(off.Next("p", [Part("p", "a")], T0.AddMilliseconds(130)));
    }

    [Fact]
    public void Prefetch_never_replaces_an_operators_module_but_queued_jobs_still_may()
    {
        var jobs = new[] { Job("c", atMs: 0), Job("b", atMs: 50), Job("b", atMs: 100) };
        var s = Admit(new SchedulerOptions { Prefetch = true }, jobs);
        foreach (var j in jobs)
        {
            s.Cancel(j.Id);
        }
        var pinned = Part("p", "a") with { Pinned = true };

        Assert.Null(s.Next("p", [pinned], T0.AddMilliseconds(130)));
        Assert.IsType<Assignment.Hold>(Admit(new SchedulerOptions { Prefetch = true }, Job("b", atMs: 0), Job("b", atMs: 150)).Next("p", [pinned], T0.AddMilliseconds(151)));
        Assert.Equal(new Assignment.Load("b", "a", Prefetch: false), Admit(new SchedulerOptions { Prefetch = true }, Job("b", atMs: 0)).Next("p", [pinned], T0.AddMilliseconds(240)));
    }

    [Fact]
    public void Prefetch_never_evicts_a_module_with_queued_jobs()
    {
        var s = Admit(new SchedulerOptions { Prefetch = true }, Job("b", atMs: 0), Job("a", atMs: 1));

        var run = Assert.IsType<Assignment.Run>(s.Next("p", [Part("p", "a")], T0.AddMilliseconds(2)));
        Assert.Equal("a", run.Job.Module);
    }

    [Fact]
    public void Prefetch_stops_when_the_estimated_load_is_high()
    {
        // 150 ms of work arriving in 120 ms on one partition: above PrefetchBelowLoad, so the partition holds.
        var s = Admit(new SchedulerOptions { Prefetch = true }, Job("b", atMs: 0, runMs: 50), Job("b", atMs: 60, runMs: 50), Job("b", atMs: 120, runMs: 50));

        Assert.IsType<Assignment.Hold>(s.Next("p", [Part("p", "a")], T0.AddMilliseconds(121)));
    }

    [Fact]
    public void A_fresh_scheduler_does_not_prefetch_on_its_first_arrivals()
    {
        // One job 1 ms ago says little about the load: the estimate is unknown for a tenth of the window.
        var s = Admit(new SchedulerOptions { Prefetch = true }, Job("b"));

        Assert.IsType<Assignment.Hold>(s.Next("p", [Part("p", "a")], T0.AddMilliseconds(1)));
    }

    [Fact]
    public void A_bad_setting_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new JobScheduler(new SchedulerOptions { BatchBound = 0 }));

        Assert.Equal(nameof(SchedulerOptions.BatchBound), e.ParamName);
    }
}
