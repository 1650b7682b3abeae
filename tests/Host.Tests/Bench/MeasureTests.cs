using Dpr.Host.Bench;

namespace Dpr.Host.Tests.Bench;

public class MeasureTests
{
    [Fact]
    public void A_fast_action_warms_up_for_a_fifth_of_the_budget_not_just_a_few_runs()
    {
        // A call that takes no time: the timed runs stop at their cap of 20,000, so every call past
        // that is warm-up. A fifth of 100 ms is millions of such calls; the old loop stopped at five.
        var calls = 0;
        Measure.Median(() => calls++, TimeSpan.FromMilliseconds(100), minRuns: 5);

        Assert.True(calls > 20_000 + 10_000, $"{calls - 20_000} warm-up calls");
    }

    [Fact]
    public void A_slow_action_warms_up_three_times_and_is_timed_at_least_min_runs_times()
    {
        var calls = 0;
        Measure.Median(() => { calls++; Thread.Sleep(20); }, TimeSpan.FromMilliseconds(10), minRuns: 4);

        Assert.Equal(3 + 4, calls);
    }
}
