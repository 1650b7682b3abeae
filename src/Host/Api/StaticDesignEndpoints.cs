using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Actors.Sem;
using Dpr.Fabric.Ports;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary>
/// <c>POST /v1/board/static/load</c>: the board's static image loaded again through its port. Every region
/// manager is held first (its running job finishes, as before a swap; a swap under way finishes first), then
/// the full image is written, checked, and every partition is recorded empty (<see cref="RegionEvents.RegionInvalidated"/>).
/// A write that fails part-way faults the partitions with its reason; one that wrote nothing releases them unchanged.
/// </summary>
public static class StaticDesignEndpoints
{
    /// <summary>One static load at a time: a second one while the first runs is refused (409), not queued.</summary>
    private static readonly SemaphoreSlim Loading = new(1, 1);

    /// <summary>A full image takes about a second on the PCAP (4 MB at ~145 MB/s, plus the kernel's work).</summary>
    private static readonly TimeSpan WriteBound = TimeSpan.FromMinutes(1);

    public static void MapStaticDesign(this RouteGroupBuilder v1) =>
        v1.MapPost("/board/static/load", LoadAsync).RequireAdmin().Audited("board.static.load")
            .Produces<StaticLoadDto>().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Load the board's static image again; every partition is emptied (admin)");

    private static async Task<IResult> LoadAsync(HttpContext http, DprNode node)
    {
        ConfigurationImage image;
        try
        {
            image = node.Options.ConfigurationPort == "hwicap"
                ? throw ApiProblem.Conflict("the hwicap port writes partials only (its core is in the static design): the static image needs the fpga-manager or overlay port")
                : StaticImageFile.Read(node.Options, node.Board);
        }
        catch (ServiceOptionsException e)
        {
            throw ApiProblem.Conflict(string.Join("; ", e.Problems));
        }
        AuditEndpoints.Note(http, $"design {image.Name}");
        if (!await Loading.WaitAsync(TimeSpan.Zero))
        {
            throw ApiProblem.Conflict("a static load is under way");
        }
        try
        {
            return Results.Ok(await LoadHeldAsync(node, image, TenantAuth.Caller(http).Name));
        }
        finally
        {
            Loading.Release();
        }
    }

    private static async Task<StaticLoadDto> LoadHeldAsync(DprNode node, ConfigurationImage image, string by)
    {
        var regions = node.Regions.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value).ToList();
        // Holding waits for a swap under way and a running job (each bounded by the region's own timeouts).
        var holdAsk = node.Options.AskTimeout * 3;
        var hold = new RegionCommands.Hold($"static design '{image.Name}' being loaded by {by}", holdAsk + WriteBound + node.Options.AskTimeout);
        var held = await Task.WhenAll(regions.Select(r => r.Ask<object>(hold, holdAsk).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default)));
        if (held.Any(ok => !ok))
        {
            await AllAsync(regions, new RegionCommands.Release(null), node.Options.AskTimeout);
            throw ApiProblem.Unavailable($"not every partition could be held within {holdAsk.TotalSeconds:0.#} s (a job or swap still running, or the journal unavailable); nothing was written");
        }
        PortWriteResult written;
        try
        {
            using var bound = new CancellationTokenSource(WriteBound);
            written = await node.Port.WriteAsync(image, null, bound.Token);
        }
        catch (ConfigurationPortException e)
        {
            await AllAsync(regions, new RegionCommands.Release(e.RegionStateUnknown ? $"the static load of '{image.Name}' failed part-way: {e.Message}" : null), node.Options.AskTimeout);
            throw ApiProblem.Conflict($"loading the static image '{image.Name}' through the {node.Port.Name} port failed ({e.Failure}): {e.Message}{(e.RegionStateUnknown ? "; every partition is faulted until the static image is loaded" : "; nothing was written")}");
        }
        var check = node.CheckStaticDesign();
        if (!check.Serves)
        {
            await AllAsync(regions, new RegionCommands.Release($"static design check after loading '{image.Name}': {check.Reason}"), node.Options.AskTimeout);
            throw ApiProblem.Conflict($"static design check after loading '{image.Name}': {check.Reason}; every partition is faulted");
        }
        var reason = $"static design '{image.Name}' loaded by {by}";
        node.SemMonitor.Tell(new SemMonitorActor.StaticReloaded(reason));
        var states = await AllAsync(regions, new RegionCommands.Invalidate(reason), node.Options.AskTimeout);
        return new StaticLoadDto(image.Name, check.Status.ToString().ToLowerInvariant(), check.Reason, written.Bytes, written.Duration.TotalMilliseconds,
            [.. states.Select(BoardEndpoints.ToDto)]);
    }

    private static async Task<RegionReplies.State[]> AllAsync(IEnumerable<IActorRef> regions, IRegionCommand command, TimeSpan timeout) =>
        await Task.WhenAll(regions.Select(async r => (RegionReplies.State)await JobEndpoints.AskAsync(r, command, timeout)));
}
