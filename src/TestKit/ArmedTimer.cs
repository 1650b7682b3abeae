namespace Dpr.TestKit;

/// <summary>
/// A timer armed on the node's virtual clock (a port's timed hang, a delay on the node's time): a test waits
/// until it is armed before it advances the clock past it, and reads whether the clock has fired it.
/// </summary>
public sealed class ArmedTimer(TimeSpan due)
{
    private int _fired;

    /// <summary>How far ahead of the clock it was armed.</summary>
    public TimeSpan Due { get; } = due;

    /// <summary>Whether the clock has reached it (at least once, for a periodic timer).</summary>
    public bool Fired => Volatile.Read(ref _fired) == 1;

    internal void Fire() => Volatile.Write(ref _fired, 1);
}
