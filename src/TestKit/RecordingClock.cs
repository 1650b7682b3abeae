using Microsoft.Extensions.Time.Testing;

namespace Dpr.TestKit;

/// <summary>The node's virtual clock: a <see cref="FakeTimeProvider"/> that also records every timer armed on it.</summary>
internal sealed class RecordingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _lock = new();
    private readonly List<ArmedTimer> _timers = [];

    public IReadOnlyList<ArmedTimer> Timers
    {
        get
        {
            lock (_lock)
            {
                return [.. _timers];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var armed = new ArmedTimer(dueTime);
        var timer = base.CreateTimer(s =>
        {
            armed.Fire();
            callback(s);
        }, state, dueTime, period);
        // Listed only once the clock holds it: a test that sees it and advances the clock past it is sure to fire it.
        lock (_lock)
        {
            _timers.Add(armed);
        }
        return timer;
    }
}
