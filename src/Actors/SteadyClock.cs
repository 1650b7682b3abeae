namespace Dpr.Actors;

/// <summary>
/// Time for windows and bounds (aging, LRU stamps, pauses, the upset rate bound), on the monotonic
/// clock: <see cref="Now"/> is the wall time when the clock was made plus the monotonic time since,
/// so a wall-clock jump afterwards (an RTC-less board learning the date from NTP at boot) moves no
/// window. Wall-clock stamps (persisted events, a client's deadline) are brought onto this scale once,
/// as far before or after <see cref="Now"/> as the wall clock says they are; what is stored and shown
/// stays on the wall clock.
/// </summary>
public sealed class SteadyClock(TimeProvider time)
{
    private readonly long _origin = time.GetTimestamp();
    private readonly DateTimeOffset _originWall = time.GetUtcNow();

    public DateTimeOffset Now => _originWall + time.GetElapsedTime(_origin);

    /// <summary>A past wall-clock stamp on this scale: its age as the wall clock tells it, never in the future.</summary>
    public DateTimeOffset FromWallPast(DateTimeOffset at)
    {
        var age = time.GetUtcNow() - at;
        return Now - (age > TimeSpan.Zero ? age : TimeSpan.Zero);
    }

    /// <summary>A wall-clock instant to come (a deadline) on this scale: as far ahead as the wall clock says.</summary>
    public DateTimeOffset FromWall(DateTimeOffset at) => Now + (at - time.GetUtcNow());
}
