using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Fleet;

/// <summary><c>GET /v1/boards</c>: the boards of the fleet (outside a fleet, the one board), and a fleet node's readiness.</summary>
public static class FleetEndpoints
{
    public static void MapBoards(this RouteGroupBuilder v1) =>
        v1.MapGet("/boards", async (DprNode node) =>
        {
            if (node.Fleet is not { } fleet)
            {
                var load = await JobEndpoints.AnsweredAsync(BoardLoads.ReadAsync(node, "local"), node.Options.AskTimeout);
                return new BoardListDto([Dto(load)], []);
            }
            var boards = await JobEndpoints.AnsweredAsync(fleet.Ask<FleetIntakeActor.Boards>(FleetIntakeActor.GetBoards.Instance, node.Options.AskTimeout), node.Options.AskTimeout);
            return new BoardListDto([.. boards.Answered.OrderBy(b => b.Board, StringComparer.Ordinal).Select(Dto)], boards.Silent);
        }).WithSummary("The boards of the fleet: where each runs, what its partitions hold, its queue; those that did not answer");

    /// <summary>
    /// <c>/metrics</c> on a fleet node: the node's own (process, authentication failures, submissions, journal) and
    /// every board's that answers, each board's series labelled <c>board</c> (docs/fleet.md), whichever node hosts it.
    /// </summary>
    public static void MapFleetMetrics(this IEndpointRouteBuilder app, string path, DprMetrics metrics) =>
        app.MapGet(path, async (HttpContext http, DprNode node) =>
        {
            var fleet = node.Fleet ?? throw ApiProblem.Unavailable("the fleet's actors have not started yet", TimeSpan.FromSeconds(1));
            var ids = node.Options.Cluster.BoardIds(node.Board.Name);
            var own = await metrics.ExportAsync(http.RequestAborted);
            var boards = await Task.WhenAll(ids.Select(async board =>
            {
                try
                {
                    return await fleet.Ask<BoardReplies.Metrics>(new BoardCommands.GetMetrics(board), node.Options.AskTimeout, http.RequestAborted);
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    return null;
                }
            }));
            var silent = ids.Where((_, i) => boards[i] is null).ToList();
            var text = MetricsText.Merge([own, .. boards.OfType<BoardReplies.Metrics>().Select(b => b.Text)]);
            // A comment (Prometheus skips it): whose series are missing from this scrape.
            return Results.Text(silent.Count == 0 ? text : text + $"# boards that did not answer: {string.Join(", ", silent)}\n", "text/plain; version=0.0.4; charset=utf-8");
        }).ExcludeFromDescription();

    /// <summary>Ready once every board of the fleet answers.</summary>
    public static async Task<IResult> ReadyAsync(IActorRef fleet, TimeSpan wait)
    {
        try
        {
            var boards = await fleet.Ask<FleetIntakeActor.Boards>(FleetIntakeActor.GetBoards.Instance, wait + wait);
            return boards.Silent.Count == 0
                ? Results.Ok(new { status = "ready", boards = boards.Answered.Count })
                : Results.Json(new { status = "not ready", reason = $"boards not answering: {string.Join(", ", boards.Silent)}", boards = boards.Answered.Count }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (AskTimeoutException e)
        {
            return Results.Json(new { status = "not ready", reason = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static BoardDto Dto(BoardReplies.Load load) =>
        new(load.Board, load.Node, load.Partitions, load.IdlePartitions, load.Loaded, load.QueuedJobs, load.Queued,
            load.QueuedWork.ToDictionary(w => w.Key, w => Math.Round(w.Value.TotalMilliseconds, 3), StringComparer.Ordinal));
}

/// <param name="Silent">Boards that did not answer in time (their node is down, or their shard is moving).</param>
public sealed record BoardListDto(IReadOnlyList<BoardDto> Boards, IReadOnlyList<string> Silent);

/// <param name="Node">The cluster member hosting the board (<c>local</c> outside a fleet).</param>
/// <param name="Loaded">The modules its partitions hold.</param>
/// <param name="QueuedPerModule">Queued jobs per module.</param>
/// <param name="QueuedWorkMs">The board time they ask for per module, in milliseconds as the model estimates it (what placement weighs).</param>
public sealed record BoardDto(string Board, string Node, int Partitions, int IdlePartitions, IReadOnlyList<string> Loaded, int Queued, IReadOnlyDictionary<string, int> QueuedPerModule, IReadOnlyDictionary<string, double> QueuedWorkMs);
