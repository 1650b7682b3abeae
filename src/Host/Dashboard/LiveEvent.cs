namespace Dpr.Host.Dashboard;

/// <summary>
/// One event of <c>GET /v1/events</c>, its JSON made once for every connection. <paramref name="Source"/>
/// and <paramref name="Sequence"/> place it in a journal (a region's, or the jobs'): such events carry an
/// id and are resumed from it; the others (snapshots of queues and health) do not. <paramref name="Tenant"/>
/// is the owner of a job event; null for what everyone sees (the board).
/// </summary>
public sealed record LiveEvent(string Name, string Json, string? Source = null, long Sequence = 0, string? Tenant = null);
