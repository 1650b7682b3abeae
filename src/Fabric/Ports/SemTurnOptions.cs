namespace Dpr.Fabric.Ports;

/// <param name="IdleTimeout">How long the controller has to report idle after the idle command. It finishes a correction and classification first; at 9600 baud its report of one is a few hundred characters, well under a second.</param>
/// <param name="RepeatIdleEvery">An idle command that arrives while the controller corrects is not obeyed (PG036: only observation and idle take commands), so it is sent again this often while the controller still observes.</param>
public sealed record SemTurnOptions(TimeSpan IdleTimeout, TimeSpan RepeatIdleEvery)
{
    public static SemTurnOptions Default { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200));
}
