using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Regions;
using Dpr.Host.Fleet;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary><c>/v1/regions</c>, <c>/v1/modules</c>, <c>/v1/swaps</c> and <c>/v1/tenants</c> (<see cref="TenantEndpoints"/>).</summary>
public static class BoardEndpoints
{
    /// <summary>The query parameters of <c>GET /v1/swaps</c>.</summary>
    private static readonly string[] SwapsQuery = ["board", "partition", "limit", "before"];

    public static void MapBoard(this RouteGroupBuilder v1)
    {
        v1.MapGet("/regions", async (DprNode node) => new RegionListDto(await RegionsAsync(node), node.Options.PlacementPolicy.ToString().ToLowerInvariant()))
            .WithSummary("Every partition: status, module, swaps; in a fleet, every board's that answered, each with its board");
        // On a single node the partition is the board's; on a fleet node the board is named in the route (docs/fleet.md).
        foreach (var (prefix, named) in new[] { ("/regions/{partition}", false), ("/boards/{board}/regions/{partition}", true) })
        {
            RegionTarget Target(HttpContext http, DprNode node, string partition) =>
                RegionTarget.Of(node, named ? (string)http.Request.RouteValues["board"]! : null, partition);
            v1.MapPost(prefix + "/load", (string partition, HttpContext http, DprNode node) => LoadAsync(Target(http, node, partition), http, node))
                .RequireAdmin().Audited("region.load", "partition")
                .Accepts<LoadDto>("application/json").Produces<LoadedDto>().ProducesProblem(StatusCodes.Status409Conflict)
                .WithSummary(named ? "Load a module into a partition of a board (admin)" : "Load a module into a partition (admin)");
            v1.MapPost(prefix + "/reset", (string partition, HttpContext http, DprNode node) => Target(http, node, partition).ResetAsync(TenantAuth.Caller(http).Name))
                .RequireAdmin().Audited("region.reset", "partition").WithSummary(named ? "Clear a faulted partition of a board (admin)" : "Clear a faulted partition (admin)");
            v1.MapPost(prefix + "/upset", (string partition, HttpContext http, DprNode node, ChaosInjector injector) => InjectUpsetAsync(Target(http, node, partition), http, node, injector))
                .RequireAdmin().Audited("region.upset", "partition").Accepts<UpsetDto>("application/json")
                .Produces<InjectedUpsetDto>(StatusCodes.Status202Accepted)
                .WithSummary("Simulated board only: a particle strike in the partition's frames, reported by the SEM controller (admin)");
        }
        v1.MapGet("/modules", (DprNode node) => new ModuleListDto([.. node.Catalog.Modules.Select(m => new ModuleDto(
            m.Name, m.Convolution?.Alias, m.Partition.Name, m.Convolution?.KernelSize, m.Convolution?.Precision.ToString().ToLowerInvariant(),
            m.Image.Payload.Length, m.Manifest.Sha256))],
            [.. node.Catalog.Problems.Select(p => new RefusedModuleDto(Path.GetFileName(p.File), p.Field, p.Message))])).WithSummary("The modules this board serves, and those it refused with why");
        v1.MapGet("/swaps", async (HttpContext http, SwapHistory history, CancellationToken cancel) =>
        {
            var board = RequestRules.Query(http.Request, "board", SwapsQuery, RequestRules.MaxNameLength);
            var partition = RequestRules.Query(http.Request, "partition", SwapsQuery, RequestRules.MaxNameLength);
            var take = RequestRules.QueryInteger(http.Request, "limit", SwapsQuery, 1, 1000) ?? 50;
            var before = RequestRules.Query(http.Request, "before", SwapsQuery, RequestRules.MaxCursorLength);
            if (board is not null && !history.Boards.Contains(board))
            {
                throw ApiProblem.NotFound("board", $"no board '{RequestRules.Shorten(board)}'; known: {string.Join(", ", history.Boards)}");
            }
            if (partition is not null && !history.Partitions.Contains(partition))
            {
                throw ApiProblem.NotFound("partition", $"no partition '{RequestRules.Shorten(partition)}'; known: {string.Join(", ", history.Partitions)}");
            }
            try
            {
                return await history.PageAsync(board, partition, take, before, cancel);
            }
            catch (FormatException)
            {
                throw ApiProblem.BadInput("before", "not a cursor of this history (pass the 'next' of the previous page)");
            }
        }).WithSummary("The recorded swaps, newest first, paged");
        v1.MapTenants();
    }

    private static async Task<IResult> LoadAsync(RegionTarget target, HttpContext http, DprNode node)
    {
        var partition = target.Partition;
        var body = await JobEndpoints.ReadJsonAsync<LoadDto>(http, node.Limits);
        var module = body.Module ?? throw ApiProblem.BadInput("module", "a module is needed");
        RequestRules.RequireName("module", module);
        AuditEndpoints.Note(http, target.Board is null ? $"module {module}" : $"module {module} on board {target.Board}");
        if (node.Catalog.Find(module) is null)
        {
            throw ApiProblem.BadInput("module", $"unknown module '{module}'; known: {string.Join(", ", node.Catalog.Modules.Select(m => m.Name).Distinct())}");
        }
        var entry = node.Catalog.Find(module, partition)
            ?? throw ApiProblem.BadInput("module", $"module '{module}' has no image for partition {partition}; it goes to {string.Join(", ", node.Catalog.FindAll(module).Select(m => m.Partition.Name))}");
        return await target.LoadAsync(entry.Name) switch
        {
            RegionReplies.Loaded loaded => Results.Ok(new LoadedDto(loaded.Partition, loaded.Module, loaded.Hit)),
            RegionReplies.LoadFailed failed => throw ApiProblem.Conflict($"loading {failed.Module} into {failed.Partition} failed: {failed.Reason}"),
            var other => throw new InvalidOperationException($"unexpected reply {other}"),
        };
    }

    /// <summary>
    /// Flips one configuration bit inside the partition on the simulated board; its SEM controller reports it
    /// and the service reacts as it would on a board (the region manager reloads or scrubs). Answered at once.
    /// The older form of <c>POST /v1/chaos/upsets</c> (<see cref="ChaosInjector"/>), kept for its callers.
    /// </summary>
    /// <summary>Every partition; on a fleet node every board's that answered, each with its board.</summary>
    public static async Task<IReadOnlyList<RegionDto>> RegionsAsync(DprNode node) =>
        node.Fleet is { } fleet
            ? [.. (await JobEndpoints.AnsweredAsync(fleet.Ask<IReadOnlyList<BoardReplies.Regions>>(FleetIntakeActor.GetRegions.Instance, node.Options.AskTimeout * 2), node.Options.AskTimeout * 2))
                .OrderBy(b => b.Board, StringComparer.Ordinal)
                .SelectMany(b => b.States.OrderBy(s => s.Partition, StringComparer.Ordinal).Select(s => ToDto(s) with { Board = b.Board }))]
            : await Task.WhenAll(node.Regions.Keys.Order(StringComparer.Ordinal).Select(p => RegionTarget.Of(node, null, p).StateAsync()));

    private static async Task<IResult> InjectUpsetAsync(RegionTarget target, HttpContext http, DprNode node, ChaosInjector injector)
    {
        // No body (or an empty one) means the defaults; a chunked body has no length but a content type.
        var body = http.Request.ContentLength == 0 || (http.Request.ContentLength is null && http.Request.ContentType is null)
            ? new UpsetDto()
            : await JobEndpoints.ReadJsonAsync<UpsetDto>(http, node.Limits);
        AuditEndpoints.Note(http, (body.Correctable ? "correctable" : "uncorrectable") + (target.Board is null ? "" : $" on board {target.Board}"));
        var by = TenantAuth.Caller(http).Name;
        if (target.Board is null)
        {
            var upset = injector.InjectUpset(by, target.Partition, body.Correctable);
            return Results.Accepted($"/v1/regions", new InjectedUpsetDto(target.Partition, $"0x{upset.Frame.Value:X8}", upset.Word, upset.Bit, body.Correctable));
        }
        var struck = await target.StrikeAsync(body.Correctable);
        injector.Injected(by, $"{target.Board}/{target.Partition}", new Fabric.Sem.InjectedUpset(new Fabric.Bitstreams.FrameAddress(struck.Frame), struck.Word, struck.Bit, body.Correctable));
        return Results.Accepted($"/v1/regions", new InjectedUpsetDto(target.Partition, $"0x{struck.Frame:X8}", struck.Word, struck.Bit, body.Correctable, target.Board));
    }

    internal static RegionDto ToDto(RegionReplies.State s) =>
        new(s.Partition, s.Status.ToString(), s.Module, s.PendingModule, s.Swaps, s.FailedSwaps, s.FaultReason, s.LastUsed, s.LoadedAt);
}
