using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Regions;
using Dpr.Host.Service;

namespace Dpr.Host.Api;

/// <summary>
/// The partition an operator's region command addresses (<c>POST /v1/regions/{partition}/...</c>,
/// <c>POST /v1/boards/{board}/regions/{partition}/...</c>): on a single node its region manager; on a fleet node a
/// partition of one of the fleet's boards, reached through the board's entity wherever it runs (docs/fleet.md).
/// </summary>
internal sealed class RegionTarget
{
    private readonly DprNode _node;
    private readonly IActorRef _actor;

    private RegionTarget(DprNode node, string? board, string partition, IActorRef actor)
    {
        _node = node;
        Board = board;
        Partition = partition;
        _actor = actor;
    }

    /// <summary>The board in a fleet; null on a single node.</summary>
    public string? Board { get; }

    public string Partition { get; }

    private TimeSpan Timeout => _node.Options.AskTimeout;

    /// <param name="board">The board named in the route, or null (the board-less routes).</param>
    /// <exception cref="ApiProblem">404 for an unknown board or partition; 400 when a fleet node is not told the board.</exception>
    public static RegionTarget Of(DprNode node, string? board, string partition)
    {
        if (node.Fleet is not { } fleet)
        {
            RequireOwnBoard(node, board);
            return new(node, null, partition, node.Regions.GetValueOrDefault(partition) ?? throw UnknownPartition(partition, node.Regions.Keys));
        }
        var boards = node.Options.Cluster.BoardIds(node.Board.Name);
        if (board is null)
        {
            throw ApiProblem.BadInput("board", $"a fleet node serves {boards.Count} boards: name the board, POST /v1/boards/{{board}}/regions/{RequestRules.Shorten(partition)}/...; boards: {string.Join(", ", boards)}");
        }
        if (!boards.Contains(board))
        {
            throw ApiProblem.NotFound("board", $"no board '{RequestRules.Shorten(board)}' in the fleet; known: {string.Join(", ", boards)}");
        }
        return node.HostedPartitions.Contains(partition) ? new(node, board, partition, fleet) : throw UnknownPartition(partition, node.HostedPartitions);
    }

    /// <summary>On a single node, a board named in a request must be the node's own (404 <c>board</c> otherwise); null names none.</summary>
    public static void RequireOwnBoard(DprNode node, string? board)
    {
        if (board is not null && board != node.BoardId)
        {
            throw ApiProblem.NotFound("board", $"no board '{RequestRules.Shorten(board)}'; known: {node.BoardId}");
        }
    }

    /// <summary>Loads <paramref name="module"/>: <see cref="RegionReplies.Loaded"/> or <see cref="RegionReplies.LoadFailed"/>.</summary>
    public async Task<object> LoadAsync(string module) =>
        // Loading may wait for a running job and for retries: allow for a swap's worst case.
        Refusal(await JobEndpoints.AskAsync(_actor, Board is null ? new RegionCommands.Load(module) : new BoardCommands.LoadRegion(Board, Partition, module), Timeout * 3));

    /// <summary>Clears the partition's fault; the partition after it.</summary>
    public async Task<RegionDto> ResetAsync(string by)
    {
        if (Board is null)
        {
            await JobEndpoints.AskAsync(_actor, new RegionCommands.Reset(by), Timeout);
            return await StateAsync();
        }
        return Dto(Refusal(await JobEndpoints.AskAsync(_actor, new BoardCommands.ResetRegion(Board, Partition, by), Timeout * 2)));
    }

    /// <summary>The partition as <c>GET /v1/regions</c> lists it (single node).</summary>
    public async Task<RegionDto> StateAsync() => Dto(await JobEndpoints.AskAsync(_actor, new RegionCommands.GetState(), Timeout));

    /// <summary>A fleet's board flips a configuration bit in the partition (<see cref="ChaosInjector.Strike"/> there).</summary>
    public async Task<BoardReplies.Struck> StrikeAsync(bool correctable) =>
        (BoardReplies.Struck)Refusal(await JobEndpoints.AskAsync(_actor, new BoardCommands.StrikeRegion(Board!, Partition, correctable), Timeout));

    private RegionDto Dto(object state) => BoardEndpoints.ToDto((RegionReplies.State)state) with { Board = Board };

    /// <summary>A board's refusal as the problem a single node answers.</summary>
    private static object Refusal(object reply) =>
        reply is BoardReplies.Refused refused ? throw new ApiProblem(refused.Status, refused.Field, refused.Reason) : reply;

    private static ApiProblem UnknownPartition(string partition, IEnumerable<string> known) =>
        ApiProblem.NotFound("partition", $"no partition '{partition}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}");
}
