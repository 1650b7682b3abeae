using Akka.Actor;
using Akka.Cluster;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Dpr.Host.Api;
using Dpr.Host.Service;

namespace Dpr.Host.Fleet;

/// <summary>
/// One board of the fleet as a Cluster.Sharding entity (entity id = board id): its region managers,
/// SEM monitor, job intake and dispatcher are this actor's children, built by <see cref="DprNode"/> as
/// <c>dpr serve</c> builds them for its one board, with persistence ids under the board id in the shared
/// PostgreSQL journal. When its node leaves, the entity drains (no new job starts, running ones finish)
/// and stops; when its node dies, the split-brain resolver downs it and sharding starts the entity on
/// another node (remember-entities), where the intake recovers and runs the accepted, unfinished jobs.
/// </summary>
public sealed class BoardEntityActor : ReceiveActor
{
    private readonly string _boardId;
    private readonly Func<string, DprNode> _create;
    private DprNode? _node;
    private DprMetrics? _metrics;

    public BoardEntityActor(string boardId, Func<string, DprNode> create)
    {
        _boardId = boardId;
        _create = create;
        Receive<BoardCommands.Submit>(submit => Node.Intake.Forward(submit.Job));
        Receive<BoardCommands.GetJob>(get => Node.Intake.Forward(new JobCommands.GetJob(get.JobId)));
        Receive<BoardCommands.ListJobs>(list => Node.Intake.Forward(list.Query));
        Receive<BoardCommands.FindKey>(find => Node.Intake.Forward(find.Query));
        Receive<BoardCommands.GetLoad>(_ => BoardLoads.ReadAsync(Node, Cluster.Get(Context.System).SelfAddress.ToString()).PipeTo(Sender));
        Receive<BoardCommands.GetRegions>(_ => RegionsAsync(_boardId, Node).PipeTo(Sender));
        Receive<BoardCommands.LoadRegion>(load => Region(load.Partition, region => region.Forward(new RegionCommands.Load(load.Module))));
        Receive<BoardCommands.ResetRegion>(reset => Region(reset.Partition, region => ResetAsync(region, reset.By, Node.Options.AskTimeout).PipeTo(Sender)));
        Receive<BoardCommands.StrikeRegion>(strike => Sender.Tell(Strike(Node, strike)));
        Receive<BoardCommands.GetMetrics>(_ => MetricsAsync(_boardId, _metrics!).PipeTo(Sender));
        Receive<HandOff>(_ => DrainAsync(Node).PipeTo(Self));
        Receive<Drained>(_ => Context.Stop(Self));
    }

    private DprNode Node => _node ?? throw new InvalidOperationException($"board {_boardId} has not started");

    public static Props Props(string boardId, Func<string, DprNode> create) => Akka.Actor.Props.Create(() => new BoardEntityActor(boardId, create));

    protected override void PreStart()
    {
        _node = _create(_boardId);
        _node.StartRegions(Context);
        _node.StartJobs(Context);
        _metrics = DprMetrics.ForBoard(_boardId);
        _metrics.ObserveBoard(Context, _node.Intake, _node.Options.AskTimeout);
    }

    protected override void PostStop() => _node?.Dispose();

    /// <summary>The partition's region manager to <paramref name="use"/>, or a 404 to the sender as on a single node.</summary>
    private void Region(string partition, Action<IActorRef> use)
    {
        if (Node.Regions.GetValueOrDefault(partition) is { } region)
        {
            use(region);
            return;
        }
        Sender.Tell(new BoardReplies.Refused(404, "partition", $"no partition '{partition}' on board {_boardId}; known: {string.Join(", ", Node.Regions.Keys.Order(StringComparer.Ordinal))}"));
    }

    private static async Task<RegionReplies.State> ResetAsync(IActorRef region, string by, TimeSpan timeout)
    {
        await region.Ask<object>(new RegionCommands.Reset(by), timeout);
        return await region.Ask<RegionReplies.State>(new RegionCommands.GetState(), timeout);
    }

    private static object Strike(DprNode node, BoardCommands.StrikeRegion strike)
    {
        try
        {
            var upset = ChaosInjector.Strike(node, strike.Partition, strike.Correctable);
            return new BoardReplies.Struck(upset.Frame.Value, upset.Word, upset.Bit);
        }
        catch (ApiProblem refused)
        {
            return new BoardReplies.Refused(refused.Status, refused.Field, refused.Message);
        }
    }

    private static async Task<BoardReplies.Metrics> MetricsAsync(string boardId, DprMetrics metrics) => new(boardId, await metrics.ExportAsync(CancellationToken.None));

    private static async Task<BoardReplies.Regions> RegionsAsync(string boardId, DprNode node) => new(boardId, await BoardLoads.RegionsAsync(node));

    /// <summary>No new job starts, running ones finish (bounded), and the intake has stored their outcomes and a snapshot.</summary>
    private static async Task<Drained> DrainAsync(DprNode node)
    {
        try
        {
            await node.Dispatcher.Ask<JobDispatcherActor.Drained>(new JobDispatcherActor.Drain(), TimeSpan.FromSeconds(10));
            await node.Intake.Ask<JobIntakeActor.Synced>(new JobIntakeActor.Checkpoint(), TimeSpan.FromSeconds(5));
        }
        catch (AskTimeoutException)
        {
            // Jobs still running stay "running" on record; the board's next host runs them again (results are written once).
        }
        return Drained.Instance;
    }

    /// <summary>Sharding's hand-off stop message (the node leaves or the shard moves).</summary>
    public sealed class HandOff
    {
        public static readonly HandOff Instance = new();
    }

    private sealed class Drained
    {
        public static readonly Drained Instance = new();
    }
}
