namespace Dpr.Host.Api;

// The bodies of /v1/chaos (docs/api.md, "Fault injection"). Only on the simulated board.

/// <summary><c>POST /v1/chaos/upsets</c>: a partition or the static design, and whether the SEM controller can correct it (required: the two behave very differently).</summary>
public sealed record ChaosUpsetDto(string? Partition = null, bool Static = false, bool? Correctable = null, string? Board = null);

/// <param name="Target">The partition struck, or <c>static</c>.</param>
public sealed record ChaosUpsetInjectedDto(string Target, string Frame, int Word, int Bit, bool Correctable, string? Board = null);

/// <summary><c>POST /v1/chaos/port-faults</c>: the next <see cref="Count"/> port writes fail this way.</summary>
/// <param name="Kind"><c>fail</c>, <c>hang</c>, <c>partial</c> or <c>corrupt</c>.</param>
/// <param name="HangSeconds">For <c>hang</c>: how long each write stalls before it goes on (default 30, beyond the 10 s swap timeout).</param>
public sealed record ChaosPortFaultDto(string? Kind = null, int Count = 1, double? HangSeconds = null);

/// <summary>A port fault not yet hit by a write. <see cref="Write"/> and <see cref="Module"/> are null for "the next write".</summary>
public sealed record PendingPortFaultDto(string Kind, double? HangSeconds, int? Write, string? Module);

/// <summary>The faults just added and every one pending after them, in the order the writes will meet them.</summary>
public sealed record ChaosPortFaultsDto(IReadOnlyList<PendingPortFaultDto> Added, IReadOnlyList<PendingPortFaultDto> Pending);

/// <summary><c>POST /v1/chaos/journal-outage</c>: the SQLite journal is locked by another writer for this long (1 to 300 s, default 10).</summary>
public sealed record ChaosJournalOutageDto(double? Seconds = null);

public sealed record JournalOutageDto(string Journal, DateTimeOffset Until);

/// <summary><c>GET /v1/chaos</c>: what is injected and not yet over.</summary>
/// <param name="SemController">The simulated SEM controller's state: <c>Observation</c>, or <c>Idle</c> after an uncorrectable upset until the reload.</param>
/// <param name="JournalOutageUntil">When the journal outage under way ends; absent when there is none.</param>
public sealed record ChaosStateDto(IReadOnlyList<PendingPortFaultDto> PortFaults, string SemController, DateTimeOffset? JournalOutageUntil = null);

/// <summary><c>DELETE /v1/chaos</c>: what was withdrawn, and whether a journal outage was ended early.</summary>
public sealed record ChaosClearedDto(IReadOnlyList<PendingPortFaultDto> PortFaults, bool JournalOutage = false);
