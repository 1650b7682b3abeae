using Akka.Actor;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary>
/// <c>GET /v1/board</c>: the SEM controller, the upsets per partition, the configuration turns and whether the board is degraded.
/// A fleet node's own board serves nothing: there it answers 400 <c>board</c>, pointing at <c>GET /v1/boards</c> (docs/fleet.md).
/// </summary>
public static class BoardHealthEndpoints
{
    public static void MapBoardHealth(this RouteGroupBuilder v1) =>
        v1.MapGet("/board", async (DprNode node) =>
        {
            if (node.Fleet is not null)
            {
                throw ApiProblem.BadInput("board", $"a fleet node serves {node.Options.Cluster.Boards} boards, not one: GET /v1/boards lists them (node, modules, queue), GET /v1/regions their partitions");
            }
            try
            {
                return Results.Ok(await BoardHealth.ReadAsync(node, node.Options.AskTimeout));
            }
            catch (AskTimeoutException)
            {
                throw ApiProblem.Unavailable($"the SEM monitor did not answer within {node.Options.AskTimeout.TotalSeconds:0.#} s");
            }
        }).Produces<BoardHealthDto>().WithSummary("The board's health: SEM controller, upsets per partition, configuration turns, degraded or not");
}
