using Dpr.Host.Api;

namespace Dpr.Host.Dashboard;

// The bodies of GET /v1/events and POST /v1/events/tickets (docs/dashboard.md).

/// <summary>A ticket for one <c>GET /v1/events?ticket=...</c> (a browser's EventSource cannot send the key in a header).</summary>
public sealed record EventTicketDto(string Ticket, int ExpiresInSeconds);

/// <summary>The first event of every connection: who is watching and the board as it is now.</summary>
public sealed record HelloDto(string Tenant, bool Admin, string Board, IReadOnlyList<RegionDto> Regions, IReadOnlyDictionary<string, int> Queued, BoardHealthDto? Health, bool Resumed, string? Gap);

/// <summary>
/// A stored event of a partition. <paramref name="Kind"/>: swap-started, swap-completed, swap-failed,
/// upset, faulted, reset, invalidated. <paramref name="State"/> is the partition after it (live events;
/// null for events read back from the journal on a resume). <paramref name="Board"/>: the fleet's board it happened on
/// (a fleet node's stream); null on a single node.
/// </summary>
public sealed record RegionEventDto(
    string Partition, string Kind, long Sequence, DateTimeOffset At, string? Module = null, Guid? SwapId = null, string? Reason = null,
    double? TotalMs = null, bool? Corrected = null, string? Frame = null, RegionDto? State = null, string? Board = null);

/// <summary>
/// A stored change of a job: <paramref name="State"/> queued, running, completed, failed or cancelled. <paramref name="Board"/>:
/// the fleet's board that holds the job (a fleet node's stream); null on a single node.
/// </summary>
public sealed record JobEventDto(Guid Id, string Tenant, string Module, string State, long Sequence, DateTimeOffset At, string? Partition = null, string? Error = null, string? Board = null);

/// <summary>Accepted jobs not yet started, per module.</summary>
public sealed record QueuesDto(IReadOnlyDictionary<string, int> Queued, DateTimeOffset At);
