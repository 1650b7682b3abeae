namespace Dpr.Host.Bench;

/// <summary>
/// Times an action the plain way: a warm-up (at least 3 runs and a fifth of the budget, so the JIT
/// has tiered up and caches are warm), then as many timed runs as fit the budget, at least
/// <c>minRuns</c>; the median run is the figure, robust to the odd descheduled run on a busy 2-core machine.
/// </summary>
public static class Measure
{
    /// <summary>The time budget per measurement: a fraction of a second for <c>--quick</c>, two seconds otherwise.</summary>
    public static TimeSpan Budget(bool quick) => TimeSpan.FromMilliseconds(quick ? 300 : 2000);

    public static TimeSpan Median(Action action, bool quick, int minRuns = 5) => Median(action, Budget(quick), minRuns);

    /// <param name="time">The clock the runs are timed on: the system's, or a test's virtual one.</param>
    public static TimeSpan Median(Action action, TimeSpan budget, int minRuns, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var warmUpStart = time.GetTimestamp();
        var warmUpRuns = 0;
        while (warmUpRuns < 3 || time.GetElapsedTime(warmUpStart) < budget / 5)
        {
            action();
            warmUpRuns++;
        }
        var estimate = Math.Max(time.GetElapsedTime(warmUpStart).TotalSeconds / warmUpRuns, 1e-7);
        var runs = (int)Math.Clamp(budget.TotalSeconds / estimate, minRuns, 20_000);
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var start = time.GetTimestamp();
            action();
            times[i] = time.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return TimeSpan.FromSeconds(times[runs / 2]);
    }
}
