namespace Dpr.Fabric.Sem;

/// <summary>What dpr knows of the SEM controller at one moment.</summary>
/// <param name="Link">The line, "serial /dev/ttyPS1 at 9600 baud" or "AXI UART Lite at 0x42C00000"; null when the board has no SEM.</param>
/// <param name="State">The last state the controller reported (state change or status report); null before the first.</param>
/// <param name="LastLine">The last line it wrote, and when.</param>
/// <param name="Reason">Why the line is <see cref="SemLinkStatus.Missing"/> or <see cref="SemLinkStatus.Silent"/>.</param>
public sealed record SemControllerStatus(
    string? Link,
    SemLinkStatus Status,
    SemState? State,
    string? LastLine,
    DateTimeOffset? LastHeardAt,
    string? Reason);
