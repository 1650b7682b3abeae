using Dpr.Host.Bench;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.Host.Tests.Bench;

/// <summary>The bench timer on a virtual clock: each action advances it by a known time, so run counts are exact.</summary>
public class MeasureTests
{
    [Fact]
    public void A_fast_action_warms_up_for_a_fifth_of_the_budget_not_just_a_few_runs()
    {
        // 1 µs a call, 100 ms budget: 20 ms of warm-up is 20,000 calls (the old loop stopped at minRuns), then
        // budget / 1 µs = 100,000 timed runs, capped at 20,000.
        var clock = new FakeTimeProvider();
        var calls = 0;
        var median = Measure.Median(() => { calls++; clock.Advance(TimeSpan.FromMicroseconds(1)); }, TimeSpan.FromMilliseconds(100), minRuns: 5, clock);

        Assert.Equal(20_000 + 20_000, calls);
        Assert.Equal(TimeSpan.FromMicroseconds(1), median);
    }

    [Fact]
    public void A_slow_action_warms_up_three_times_and_is_timed_at_least_min_runs_times()
    {
        var clock = new FakeTimeProvider();
        var calls = 0;
        var median = Measure.Median(() => { calls++; clock.Advance(TimeSpan.FromMilliseconds(20 + calls)); }, TimeSpan.FromMilliseconds(10), minRuns: 4, clock);

        Assert.Equal(3 + 4, calls);
        // The timed runs took 24, 25, 26 and 27 ms: the median is the upper middle one.
        Assert.Equal(TimeSpan.FromMilliseconds(26), median);
    }
}
