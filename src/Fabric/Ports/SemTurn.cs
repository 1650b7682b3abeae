using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Ports;

/// <summary>One turn of the configuration engine for the PCAP, as <see cref="SemTurns"/> took it.</summary>
/// <param name="Image">The image written (a module or the static design).</param>
/// <param name="SemBefore">The controller's state when the turn began; null when it had reported none.</param>
/// <param name="IdleWait">From the idle command to the idle state (zero when it was idle already).</param>
/// <param name="Resumed">Whether observation was resumed after the write (only when the turn idled an observing controller).</param>
/// <param name="Reason">Why the turn failed; null when it did not.</param>
public sealed record SemTurn(
    string Image,
    SemState? SemBefore,
    TimeSpan IdleWait,
    bool Resumed,
    SemTurnOutcome Outcome,
    string? Reason,
    DateTimeOffset At);
