namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// Exponentially weighted arrival rates per module, over a window: jobs per second and estimated work per
/// second (seconds of module time per second, so the board's load is the total over the partitions). Corrected
/// for the time observed when that is shorter than the window (as Adam corrects its moving averages), so a
/// steady rate r reads about r from the first arrivals on. Deterministic: time comes in with every call.
/// </summary>
public sealed class ArrivalRates(TimeSpan window)
{
    private readonly SortedDictionary<string, Rate> modules = new(StringComparer.Ordinal);
    private readonly long window = Math.Max(1, window.Ticks);
    private long? first;

    /// <summary>A job of <paramref name="module"/> with <paramref name="work"/> ticks of estimated run time arrived at <paramref name="at"/>.</summary>
    public void Arrived(string module, long work, DateTimeOffset at)
    {
        first = first is { } f && f <= at.UtcTicks ? f : at.UtcTicks;
        if (!modules.TryGetValue(module, out var rate))
        {
            modules[module] = rate = new Rate { At = at.UtcTicks };
        }
        // An arrival older than the last one (a job recovered after a restart) counts as already decayed.
        var age = Math.Max(0, rate.At - at.UtcTicks);
        rate.Decay(at.UtcTicks, window);
        var weight = Math.Exp(-(double)age / window);
        rate.Jobs += weight * TimeSpan.TicksPerSecond / window;
        rate.Work += weight * work / window;
    }

    /// <summary>Jobs of <paramref name="module"/> per second.</summary>
    public double Jobs(string module, DateTimeOffset now) =>
        modules.TryGetValue(module, out var rate) ? rate.Jobs * Decay(rate, now) / Observed(now) : 0;

    /// <summary>
    /// Estimated module time arriving per second, all modules together; infinite (unknown) until a tenth of the
    /// window has passed since the first arrival, so a handful of first arrivals never reads as an idle board.
    /// </summary>
    public double Work(DateTimeOffset now) => first is { } f && (now.UtcTicks - f) * 10 >= window
        ? modules.Values.Sum(r => r.Work * Decay(r, now)) / Observed(now)
        : double.PositiveInfinity;

    /// <summary>The weight a steady rate has gathered since the first arrival (1 after many windows); at least a
    /// hundredth of a window's, so a first arrival reads as a high rate rather than an infinite one.</summary>
    private double Observed(DateTimeOffset now) =>
        first is { } f ? Math.Max(1 - Math.Exp(-(double)Math.Max(0, now.UtcTicks - f) / window), 0.01) : 1;

    private double Decay(Rate rate, DateTimeOffset now) => Math.Exp(-(double)Math.Max(0, now.UtcTicks - rate.At) / window);

    private sealed class Rate
    {
        public long At { get; set; }

        public double Jobs { get; set; }

        public double Work { get; set; }

        public void Decay(long now, long window)
        {
            if (now > At)
            {
                var factor = Math.Exp(-(double)(now - At) / window);
                Jobs *= factor;
                Work *= factor;
                At = now;
            }
        }
    }
}
