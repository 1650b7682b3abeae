namespace Dpr.Fabric.Tests.Ports;

/// <summary>
/// A clock whose timers fire only when the test fires them: a <c>Task.Delay</c> on it lasts until
/// <see cref="FireAll"/>, however long it asked for, so a test counts the waits under way at once
/// instead of timing them. One-shot timers only (what <c>Task.Delay</c> creates).
/// </summary>
public sealed class HeldTimeProvider : TimeProvider
{
    private readonly List<HeldTimer> _armed = [];
    private TaskCompletionSource _whenArmed = NewSignal();
    private int _mostArmed;

    /// <summary>Timers waiting to fire now.</summary>
    public int Armed
    {
        get
        {
            lock (_armed)
            {
                return _armed.Count;
            }
        }
    }

    /// <summary>The most timers that were ever waiting at once.</summary>
    public int MostArmed
    {
        get
        {
            lock (_armed)
            {
                return _mostArmed;
            }
        }
    }

    /// <summary>Completes once a timer is waiting to fire (at once if one is).</summary>
    public Task WhenArmed
    {
        get
        {
            lock (_armed)
            {
                return _whenArmed.Task;
            }
        }
    }

    /// <summary>Fires every timer waiting now; timers armed by their callbacks wait for the next call.</summary>
    public void FireAll()
    {
        HeldTimer[] due;
        lock (_armed)
        {
            due = [.. _armed];
            _armed.Clear();
            _whenArmed = NewSignal();
        }
        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new HeldTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Arm(HeldTimer timer)
    {
        lock (_armed)
        {
            if (!_armed.Contains(timer))
            {
                _armed.Add(timer);
            }
            _mostArmed = Math.Max(_mostArmed, _armed.Count);
            _whenArmed.TrySetResult();
        }
    }

    private void Disarm(HeldTimer timer)
    {
        lock (_armed)
        {
            _armed.Remove(timer);
            if (_armed.Count == 0 && _whenArmed.Task.IsCompleted)
            {
                _whenArmed = NewSignal();
            }
        }
    }

    private sealed class HeldTimer(HeldTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (period != Timeout.InfiniteTimeSpan)
            {
                throw new NotSupportedException("a held clock fires one-shot timers only");
            }
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                clock.Disarm(this);
            }
            else
            {
                clock.Arm(this);
            }
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => clock.Disarm(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
