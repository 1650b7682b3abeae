using Dpr.Actors.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

/// <summary>Invariants of the scheduler over random workloads, driven as the actor will drive it.</summary>
public class JobSchedulerProperties
{
    private static Arbitrary<int> Seeds => Gen.Choose(0, int.MaxValue - 1).ToArbitrary();

    private static Arbitrary<int> PartitionCounts => Gen.Choose(1, 4).ToArbitrary();

    [Property(MaxTest = 20)]
    public Property No_job_is_lost_or_completed_twice() =>
        Prop.ForAll(Seeds, PartitionCounts, (seed, partitions) =>
        {
            var h = new SchedulerHarness(seed, new SchedulerOptions(), partitions);
            h.Run(jobs: 400, load: 0.8, maxRunMs: 0.5, cancelRate: 0.1, requeueRate: 0.05);
            var expected = h.Admitted.Keys.Where(id => !h.Cancelled.Contains(id)).ToHashSet();
            return h.Completions.Keys.ToHashSet().SetEquals(expected)
                && h.Completions.Values.All(c => c == 1)
                && h.Scheduler.QueuedCount == 0
                && h.Scheduler.RunningCount == 0;
        });

    [Property(MaxTest = 20)]
    public Property The_aging_bound_holds_below_capacity() =>
        Prop.ForAll(Seeds, PartitionCounts, (seed, partitions) =>
        {
            var options = new SchedulerOptions();
            var h = new SchedulerHarness(seed, options, partitions);
            h.Run(jobs: 400, load: 0.6, maxRunMs: 0.5, requeueRate: 0.02);
            return (h.MaxWait <= options.AgingBound).Label($"max wait {h.MaxWait.TotalMilliseconds} ms");
        });

    [Property(MaxTest = 20)]
    public Property Prefetch_never_evicts_queued_work_and_keeps_the_aging_bound() =>
        Prop.ForAll(Seeds, PartitionCounts, (seed, partitions) =>
        {
            var options = new SchedulerOptions { Prefetch = true, PrefetchWindow = TimeSpan.FromMilliseconds(100) };
            var h = new SchedulerHarness(seed, options, partitions);
            h.Run(jobs: 400, load: 0.5, maxRunMs: 0.5, cancelRate: 0.05, requeueRate: 0.02);
            var expected = h.Admitted.Keys.Where(id => !h.Cancelled.Contains(id)).ToHashSet();
            return (h.Prefetches > 0
                    && h.PrefetchesOverQueuedWork == 0
                    && h.MaxWait <= options.AgingBound
                    && h.Completions.Keys.ToHashSet().SetEquals(expected))
                .Label($"prefetches {h.Prefetches}, over queued work {h.PrefetchesOverQueuedWork}, max wait {h.MaxWait.TotalMilliseconds} ms, completed {h.Completions.Count} of {expected.Count}");
        });

    [Property(MaxTest = 15)]
    public Property Quotas_and_the_global_bound_hold_under_overload() =>
        Prop.ForAll(Seeds, PartitionCounts, (seed, partitions) =>
        {
            var options = new SchedulerOptions { MaxQueuedJobs = 120, MaxQueuedPerTenant = 40, MinRetryAfter = TimeSpan.FromMilliseconds(5) };
            var h = new SchedulerHarness(seed, options, partitions);
            h.Run(jobs: 400, load: 1.5, maxRunMs: 1, tenants: 3);
            return (h.MaxQueuedSeen <= 120 && h.MaxPerTenantSeen <= 40 && h.MaxPerTenantSeen > 0)
                .Label($"queued {h.MaxQueuedSeen}, per tenant {h.MaxPerTenantSeen}");
        });

    [Property(MaxTest = 15)]
    public Property The_lower_bound_never_exceeds_a_schedule_that_kept_the_bound() =>
        Prop.ForAll(Seeds, PartitionCounts, (seed, partitions) =>
        {
            var options = new SchedulerOptions();
            var h = new SchedulerHarness(seed, options, partitions);
            h.Run(jobs: 500, load: 0.7, maxRunMs: 0.5);
            var bound = ReconfigurationLowerBound.Compute(h.Admissions, options.AgingBound, partitions);
            return (h.MaxWait > options.AgingBound || bound <= h.Loads).Label($"bound {bound}, loads {h.Loads}");
        });

    [Property(MaxTest = 10)]
    public Property Decisions_are_deterministic() =>
        Prop.ForAll(Seeds, PartitionCounts, (seed, partitions) =>
        {
            var a = new SchedulerHarness(seed, new SchedulerOptions(), partitions) { RecordDecisions = true };
            var b = new SchedulerHarness(seed, new SchedulerOptions(), partitions) { RecordDecisions = true };
            a.Run(jobs: 300, load: 0.9, maxRunMs: 0.5, cancelRate: 0.1);
            b.Run(jobs: 300, load: 0.9, maxRunMs: 0.5, cancelRate: 0.1);
            return a.Decisions.Count > 0 && a.Decisions.SequenceEqual(b.Decisions);
        });
}
