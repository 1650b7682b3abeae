using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary>
/// <c>/v1/chaos</c>: fault injection into the running service on the simulated board (admin only;
/// 409 on a real board). The faults are the ones the service must survive on a board — upsets the SEM
/// controller reports, port writes that fail, hang, stop half way or arrive corrupted, a journal that
/// does not take writes — so an operator or a soak run can watch it recover without a unit test. On a fleet node an
/// upset names the board (as the region commands do); the other faults would hit the node's own board, which serves
/// nothing, so they are refused there (409 <c>board</c>).
/// </summary>
public static class ChaosEndpoints
{
    public static void MapChaos(this RouteGroupBuilder v1)
    {
        var chaos = v1.MapGroup("/chaos");
        chaos.MapGet("", (DprNode node, ChaosInjector injector) => NotOnFleet(node, injector).State()).RequireAdmin()
            .WithSummary("Simulated board only: the injected faults not yet hit, and the SEM controller's state (admin)");
        chaos.MapDelete("", (HttpContext http, DprNode node, ChaosInjector injector) => NotOnFleet(node, injector).Clear(TenantAuth.Caller(http).Name)).RequireAdmin().Audited("chaos.clear")
            .WithSummary("Simulated board only: withdraw every injected port fault not yet hit (admin)");
        chaos.MapPost("/upsets", InjectUpsetAsync).RequireAdmin().Audited("chaos.upset").Accepts<ChaosUpsetDto>("application/json")
            .WithSummary("Simulated board only: an upset in a partition or the static design, reported by the SEM controller (admin)");
        chaos.MapPost("/port-faults", InjectPortFaultsAsync).RequireAdmin().Audited("chaos.port-faults").Accepts<ChaosPortFaultDto>("application/json")
            .WithSummary("Simulated board only: the next N port writes fail, hang, stop half way or arrive corrupted (admin)");
        // The outage holds the journal the entry goes to: the answer does not wait for it (AuditLog retries).
        chaos.MapPost("/journal-outage", InjectJournalOutageAsync).RequireAdmin().Audited("chaos.journal-outage", wait: false).Accepts<ChaosJournalOutageDto>("application/json")
            .WithSummary("Simulated board and SQLite journal only: another writer locks the journal for a while (admin)");
    }

    private static async Task<IResult> InjectUpsetAsync(HttpContext http, DprNode node, ChaosInjector injector)
    {
        // The refusal of a real board comes before anything the body could say.
        injector.EnsureSimulated();
        var body = await JobEndpoints.ReadJsonAsync<ChaosUpsetDto>(http, node.Limits);
        if (body.Partition is { } partition)
        {
            RequestRules.RequireName("partition", partition);
        }
        if (body.Static && body.Partition is not null)
        {
            throw ApiProblem.BadInput("static", "name a partition or set static, not both");
        }
        if (!body.Static && body.Partition is null)
        {
            throw ApiProblem.BadInput("partition", $"name a partition ({string.Join(", ", node.Regions.Keys.Order(StringComparer.Ordinal))}) or set static");
        }
        var correctable = body.Correctable
            ?? throw ApiProblem.BadInput("correctable", "say true (the controller repairs the bit) or false (the partition must be reloaded; in the static design, the board is degraded)");
        if (node.Fleet is not null)
        {
            var target = RegionTarget.Of(node, body.Board, body.Partition
                ?? throw ApiProblem.BadInput("static", "the static design of a fleet's board is not struck through the API; name a partition"));
            AuditEndpoints.Note(http, $"{target.Partition} on board {target.Board}, {(correctable ? "correctable" : "uncorrectable")}");
            var struck = await target.StrikeAsync(correctable);
            return Results.Accepted("/v1/regions", new ChaosUpsetInjectedDto(target.Partition, $"0x{struck.Frame:X8}", struck.Word, struck.Bit, correctable, target.Board));
        }
        RegionTarget.RequireOwnBoard(node, body.Board);
        AuditEndpoints.Note(http, $"{body.Partition ?? "static"}, {(correctable ? "correctable" : "uncorrectable")}");
        var upset = injector.InjectUpset(TenantAuth.Caller(http).Name, body.Partition, correctable);
        return Results.Accepted("/v1/regions", new ChaosUpsetInjectedDto(body.Partition ?? "static", $"0x{upset.Frame.Value:X8}", upset.Word, upset.Bit, correctable));
    }

    private static async Task<IResult> InjectPortFaultsAsync(HttpContext http, DprNode node, ChaosInjector injector)
    {
        NotOnFleet(node, injector).EnsureSimulated();
        var body = await JobEndpoints.ReadJsonAsync<ChaosPortFaultDto>(http, node.Limits);
        AuditEndpoints.Note(http, $"{body.Count} x {body.Kind}{(body.HangSeconds is { } hang ? $", {hang} s each" : "")}");
        return Results.Accepted("/v1/chaos", injector.InjectPortFaults(TenantAuth.Caller(http).Name, body.Kind, body.Count, body.HangSeconds));
    }

    private static async Task<IResult> InjectJournalOutageAsync(HttpContext http, DprNode node, ChaosInjector injector)
    {
        NotOnFleet(node, injector).EnsureSimulated();
        // No body means the default duration.
        var body = http.Request.ContentLength == 0 || (http.Request.ContentLength is null && http.Request.ContentType is null)
            ? new ChaosJournalOutageDto()
            : await JobEndpoints.ReadJsonAsync<ChaosJournalOutageDto>(http, node.Limits);
        AuditEndpoints.Note(http, $"{body.Seconds ?? ChaosInjector.DefaultOutageSeconds} s");
        return Results.Accepted("/v1/chaos", injector.StartJournalOutage(TenantAuth.Caller(http).Name, body.Seconds));
    }

    /// <summary><paramref name="injector"/>, or on a fleet node the refusal: its own board serves nothing, and per-board port faults are not built.</summary>
    private static ChaosInjector NotOnFleet(DprNode node, ChaosInjector injector) => node.Fleet is null ? injector : throw new ApiProblem(StatusCodes.Status409Conflict, "board",
        "a fleet node's port faults, journal outages and SEM state are its own board's, which serves no job; on a fleet, strike a board's partition: POST /v1/chaos/upsets with board, or POST /v1/boards/{board}/regions/{partition}/upset");
}
