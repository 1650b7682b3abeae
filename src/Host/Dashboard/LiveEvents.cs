using System.Text.Json;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Dpr.Host.Api;
using static Dpr.Actors.Jobs.JobEvents;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Dashboard;

/// <summary>The events of <c>GET /v1/events</c> made from what the actors stored, live or read back from their journals.</summary>
public static class LiveEvents
{
    public static LiveEvent Of(string name, object body) => new(name, JsonSerializer.Serialize(body, ApiJson.Options));

    /// <summary>A partition's stored event; <paramref name="state"/> is the partition after it when known.</summary>
    /// <param name="board">A fleet's board: the event names it and has no id (each board numbers its own journals, so one cursor cannot resume them).</param>
    public static LiveEvent Region(string partition, IRegionEvent e, long sequence, RegionReplies.State? state, string? board = null)
    {
        var dto = e switch
        {
            SwapStarted s => new RegionEventDto(partition, "swap-started", sequence, s.At, s.Module, s.SwapId, s.Reason),
            SwapCompleted c => new RegionEventDto(partition, "swap-completed", sequence, c.At, c.Module, c.SwapId, TotalMs: c.TotalMs),
            SwapFailed f => new RegionEventDto(partition, "swap-failed", sequence, f.At, f.Module, f.SwapId, $"{f.Failure}: {f.Reason}"),
            UpsetDetected u => new RegionEventDto(partition, "upset", sequence, u.At, Corrected: u.Corrected, Frame: $"0x{u.Frame:X8}"),
            RegionFaulted f => new RegionEventDto(partition, "faulted", sequence, f.At, Reason: f.Reason),
            RegionReset r => new RegionEventDto(partition, "reset", sequence, r.At, Reason: $"by {r.By}"),
            RegionInvalidated i => new RegionEventDto(partition, "invalidated", sequence, i.At, Reason: i.Reason),
            _ => new RegionEventDto(partition, e.GetType().Name, sequence, e.At),
        };
        dto = dto with { State = state is null ? null : BoardEndpoints.ToDto(state) with { Board = board }, Board = board };
        return new LiveEvent("region", JsonSerializer.Serialize(dto, ApiJson.Options), board is null ? EventCursor.Region(partition) : null, sequence);
    }

    /// <summary>A job's stored event, seen by its tenant and the admins.</summary>
    /// <param name="board">A fleet's board: the event names it and has no id, as in <see cref="Region"/>.</param>
    public static LiveEvent Job(IJobEvent e, string tenant, string module, long sequence, string? board = null)
    {
        var dto = e switch
        {
            JobAccepted a => new JobEventDto(a.JobId, tenant, module, "queued", sequence, a.At),
            JobStarted s => new JobEventDto(s.JobId, tenant, module, "running", sequence, s.At, s.Partition),
            JobCompleted c => new JobEventDto(c.JobId, tenant, module, "completed", sequence, c.At, c.RanOn),
            JobFailed f => new JobEventDto(f.JobId, tenant, module, "failed", sequence, f.At, Error: f.Reason),
            JobCancelled c => new JobEventDto(c.JobId, tenant, module, "cancelled", sequence, c.At, Error: $"cancelled by {c.By}"),
            _ => new JobEventDto(e.JobId, tenant, module, e.GetType().Name, sequence, e.At),
        };
        return new LiveEvent("job", JsonSerializer.Serialize(dto with { Board = board }, ApiJson.Options), board is null ? EventCursor.Jobs : null, sequence, tenant);
    }
}
