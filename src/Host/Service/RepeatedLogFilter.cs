using Serilog.Core;
using Serilog.Events;

namespace Dpr.Host.Service;

/// <summary>
/// Keeps a repeating warning or error from flooding the log of a service that runs for months: of
/// the events with the same source and message template, the first <see cref="Burst"/> in each
/// <see cref="Window"/> are written and the rest counted; the first one written after that names how
/// many were left out (the <c>Suppressed</c> property, rendered after the message). Information and
/// below pass untouched, as do events marked <see cref="RateLimitedProperty"/> (bounded where they are made,
/// e.g. <c>Api.AuthFailures</c>, whose lines differ by source and must not share one budget). Windows are measured on the monotonic clock, so a wall-clock jump at boot
/// neither floods nor silences.
/// </summary>
public sealed class RepeatedLogFilter(TimeProvider time, int burst = 5, TimeSpan? window = null) : ILogEventFilter
{
    /// <summary>Distinct messages followed at once; past it the oldest quiet ones are dropped.</summary>
    private const int MaxKeys = 1024;

    /// <summary>A property that marks an event as rate-limited already (pushed with <c>Serilog.Context.LogContext</c>).</summary>
    public const string RateLimitedProperty = "RateLimited";

    private readonly Dictionary<(string? Source, string Template), Tally> _tallies = [];

    public int Burst { get; } = burst;

    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(1);

    public bool IsEnabled(LogEvent logEvent)
    {
        if (logEvent.Level < LogEventLevel.Warning || logEvent.Properties.ContainsKey(RateLimitedProperty))
        {
            return true;
        }
        var source = logEvent.Properties.TryGetValue("SourceContext", out var s) ? s.ToString() : null;
        var now = time.GetTimestamp();
        lock (_tallies)
        {
            if (!_tallies.TryGetValue((source, logEvent.MessageTemplate.Text), out var tally))
            {
                if (_tallies.Count >= MaxKeys)
                {
                    Forget(now);
                }
                tally = new Tally(now);
                _tallies[(source, logEvent.MessageTemplate.Text)] = tally;
            }
            else if (time.GetElapsedTime(tally.WindowStart, now) >= Window)
            {
                tally.WindowStart = now;
                tally.Written = 0;
            }
            if (tally.Written >= Burst)
            {
                tally.Suppressed++;
                return false;
            }
            tally.Written++;
            if (tally.Suppressed > 0)
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty("Suppressed", new ScalarValue($" ({tally.Suppressed} more like it left out before this)")));
                tally.Suppressed = 0;
            }
            return true;
        }
    }

    private void Forget(long now)
    {
        foreach (var key in _tallies.Where(t => time.GetElapsedTime(t.Value.WindowStart, now) >= Window && t.Value.Suppressed == 0).Select(t => t.Key).ToList())
        {
            _tallies.Remove(key);
        }
        if (_tallies.Count >= MaxKeys)
        {
            _tallies.Clear();
        }
    }

    private sealed class Tally(long windowStart)
    {
        public long WindowStart { get; set; } = windowStart;

        public int Written { get; set; }

        public int Suppressed { get; set; }
    }
}
