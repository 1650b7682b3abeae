using System.Diagnostics;

namespace Dpr.Host.Bench;

/// <summary>
/// Times an action the plain way: a few warm-up runs (JIT tiering, caches), then runs until both a
/// minimum count and a time budget are reached; the median run is the figure, robust to the odd
/// descheduled run on a busy 2-core machine.
/// </summary>
public static class Measure
{
    public static TimeSpan Median(Action action, bool quick, int minRuns = 5)
    {
        var budget = TimeSpan.FromMilliseconds(quick ? 300 : 2000);
        for (var i = 0; i < (quick ? 2 : 5); i++)
        {
            action();
        }
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < minRuns || (total.Elapsed < budget && times.Count < 10_000))
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return TimeSpan.FromSeconds(times[times.Count / 2]);
    }
}
