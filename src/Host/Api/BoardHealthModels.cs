namespace Dpr.Host.Api;

// GET /v1/board and the "sem" part of /readyz (docs/api.md).

/// <param name="Degraded">True once an upset the partitions cannot repair (in the static design) was reported: only a full reload repairs it.</param>
/// <param name="DegradedReasons">What made it degraded, oldest first.</param>
/// <param name="ConfigurationEngine">Who holds the configuration engine now (DEVCFG CTRL.PCAP_PR): "icap" (the SEM controller's side) or "pcap" (during a write); null without a SEM controller.</param>
/// <param name="StaticDesign">What the static design check found at start or after the last static load (docs/boards.md, "The static design").</param>
public sealed record BoardHealthDto(
    string Board,
    string Device,
    string Port,
    bool Degraded,
    IReadOnlyList<string> DegradedReasons,
    SemHealthDto Sem,
    SemTurnsDto? Turns,
    string? ConfigurationEngine,
    StaticDesignDto? StaticDesign = null);

/// <param name="Status">verified (the PL holds the board's static design), unverified (no way to tell: the profile names no ID register).</param>
/// <param name="Design">The design's name (<c>staticImage</c> without its extension).</param>
public sealed record StaticDesignDto(string Status, string Design, string Reason);

/// <param name="Link">The monitor line ("serial /dev/ttyPS1 at 9600 baud", "AXI UART Lite at 0x42C00000"); null when the board has no SEM controller.</param>
/// <param name="Status">none, waiting, responding, silent or missing.</param>
/// <param name="State">The controller's last reported state (Observation, Idle, Correction...); null before its first report.</param>
/// <param name="LastReport">The last line the controller wrote.</param>
/// <param name="Reason">Why the line is silent or missing.</param>
/// <param name="UpsetsByPartition">Upsets reported per partition; "static" for the static design.</param>
public sealed record SemHealthDto(
    string? Link,
    string Status,
    string? State,
    string? LastReport,
    DateTimeOffset? LastReportAt,
    string? Reason,
    long Upsets,
    IReadOnlyDictionary<string, long> UpsetsByPartition,
    string? LastUpset);

/// <param name="Taken">Writes that took their turn (written or failed in the port).</param>
/// <param name="Refused">Writes refused because the SEM controller did not idle in time.</param>
public sealed record SemTurnsDto(long Taken, long Refused, SemTurnDto? Last);

/// <param name="SemBefore">The controller's state when the turn began.</param>
/// <param name="IdleWaitMs">From the idle command to the idle state.</param>
/// <param name="Resumed">Whether the turn resumed observation after the write.</param>
/// <param name="Outcome">written, write-failed or sem-not-idle.</param>
public sealed record SemTurnDto(string Image, string? SemBefore, double IdleWaitMs, bool Resumed, string Outcome, string? Reason, DateTimeOffset At);
