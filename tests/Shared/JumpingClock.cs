namespace Dpr.Tests;

/// <summary>A clock whose wall time can jump (an RTC-less board learning the date) while its monotonic time only moves on <see cref="Advance"/>.</summary>
public sealed class JumpingClock : TimeProvider
{
    private DateTimeOffset _wall = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _ticks;

    public override DateTimeOffset GetUtcNow() => _wall;

    public override long GetTimestamp() => _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Jump(TimeSpan by) => _wall += by;

    public void Advance(TimeSpan by)
    {
        _wall += by;
        _ticks += by.Ticks;
    }
}
