using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

public class ReconfigurationLowerBoundTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan B = TimeSpan.FromMilliseconds(100);

    private static List<(DateTimeOffset, string)> Jobs(params (double Ms, string Module)[] jobs) =>
        jobs.Select(j => (T0.AddMilliseconds(j.Ms), j.Module)).ToList();

    [Fact]
    public void One_module_needs_one_load() =>
        Assert.Equal(1, ReconfigurationLowerBound.Compute(Jobs((0, "a"), (500, "a"), (900, "a")), B, 1));

    [Fact]
    public void Modules_alternating_further_apart_than_the_bound_need_a_load_each_on_one_partition() =>
        Assert.Equal(4, ReconfigurationLowerBound.Compute(Jobs((0, "a"), (300, "b"), (600, "a"), (900, "b")), B, 1));

    [Fact]
    public void Two_partitions_hold_both_modules() =>
        Assert.Equal(2, ReconfigurationLowerBound.Compute(Jobs((0, "a"), (300, "b"), (600, "a"), (900, "b")), B, 2));

    [Fact]
    public void Modules_within_one_bound_may_share_a_visit() =>
        Assert.Equal(2, ReconfigurationLowerBound.Compute(Jobs((0, "a"), (10, "b"), (20, "a"), (30, "b")), B, 1));

    [Fact]
    public void No_jobs_need_no_loads() =>
        Assert.Equal(0, ReconfigurationLowerBound.Compute([], B, 1));
}
