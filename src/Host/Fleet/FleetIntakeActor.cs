using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;

namespace Dpr.Host.Fleet;

/// <summary>
/// The job intake of a fleet node, in the place of a board's own (<see cref="Service.DprNode.ServeFleet"/>):
/// the HTTP API asks it what it asks a board's intake, and it answers for the whole fleet. A submission goes to
/// its tenant's intake (<see cref="TenantIntakeActor"/>, sharded by tenant over the fleet's nodes), which places
/// it; look-ups and lists ask every board, and a command for one board goes to it.
/// </summary>
public sealed class FleetIntakeActor : ReceiveActor
{
    private readonly FleetBoards _boards;
    private readonly IActorRef _tenants;
    private readonly TimeProvider _time;

    /// <param name="tenants">The shard region of <see cref="TenantIntakeActor"/> (a probe in tests).</param>
    public FleetIntakeActor(FleetBoards boards, IActorRef tenants, TimeProvider time)
    {
        _boards = boards;
        _tenants = tenants;
        _time = time;
        // The HTTP API waits for the answer as long as for a board's (Dpr:AskTimeoutSeconds).
        Receive<JobCommands.Submit>(submit => _tenants.Forward(new TenantCommands.Submit(submit.Request.Tenant, submit, _time.GetUtcNow() + _boards.Timeout)));
        Receive<JobCommands.GetJob>(get => FindAsync(get.JobId).PipeTo(Sender));
        Receive<JobCommands.ListJobs>(list => ListAsync(list).PipeTo(Sender));
        Receive<JobCommands.GetQueueDepths>(_ => DepthsAsync().PipeTo(Sender));
        Receive<GetBoards>(_ => _boards.LoadsAsync().PipeTo(Sender));
        Receive<GetRegions>(_ => RegionsAsync().PipeTo(Sender));
        // An operator's command for one board (a partition's load, reset or upset; its metrics) goes to that board.
        Receive<IBoardCommand>(command => _boards.Region.Forward(command));
    }

    public static Props Props(FleetBoards boards, IActorRef tenants, TimeProvider time) => Akka.Actor.Props.Create(() => new FleetIntakeActor(boards, tenants, time));

    /// <summary>Wakes every board (remember-entities keeps them running from then on).</summary>
    protected override void PreStart()
    {
        foreach (var id in _boards.Ids)
        {
            _boards.Region.Tell(new BoardCommands.GetLoad(id));
        }
    }

    private async Task<object> FindAsync(Guid id)
    {
        var answers = await _boards.AskEveryAsync(b => new BoardCommands.GetJob(b, id));
        if (answers.OfType<JobReplies.JobStatus>().FirstOrDefault() is { } found)
        {
            return found;
        }
        // A board that did not answer (its node died, its shard is moving) may hold it: no answer rather than "not found".
        return answers.Contains(null)
            ? throw new AskTimeoutException($"job {id}: not all boards answered within {_boards.Timeout.TotalSeconds:0.#} s")
            : new JobReplies.NotFound(id);
    }

    private async Task<JobReplies.JobList> ListAsync(JobCommands.ListJobs list)
    {
        var answers = await _boards.AskEveryAsync(b => new BoardCommands.ListJobs(b, list));
        var jobs = answers.OfType<JobReplies.JobList>().SelectMany(l => l.Jobs).OrderByDescending(j => j.AcceptedAt).Take(list.Limit);
        return new JobReplies.JobList([.. jobs]);
    }

    private async Task<JobReplies.QueueDepths> DepthsAsync()
    {
        var loads = await _boards.LoadsAsync();
        Dictionary<string, int> Jobs(Func<BoardReplies.Load, Dictionary<string, int>> of) =>
            loads.Answered.SelectMany(of).GroupBy(q => q.Key).ToDictionary(g => g.Key, g => g.Sum(q => q.Value));
        Dictionary<string, TimeSpan> Work(Func<BoardReplies.Load, Dictionary<string, TimeSpan>> of) =>
            loads.Answered.SelectMany(of).GroupBy(q => q.Key).ToDictionary(g => g.Key, g => TimeSpan.FromTicks(g.Sum(q => q.Value.Ticks)));
        return new JobReplies.QueueDepths(Jobs(l => l.Queued), Work(l => l.QueuedWork), Jobs(l => l.OpenJobs), Work(l => l.OpenWork));
    }

    private async Task<IReadOnlyList<BoardReplies.Regions>> RegionsAsync() =>
        [.. (await _boards.AskEveryAsync(b => new BoardCommands.GetRegions(b))).OfType<BoardReplies.Regions>()];

    /// <summary>Answered with <see cref="Boards"/>.</summary>
    public sealed record GetBoards
    {
        public static readonly GetBoards Instance = new();
    }

    /// <summary>Answered with the partitions of every board that answered (<see cref="BoardReplies.Regions"/>, a list).</summary>
    public sealed record GetRegions
    {
        public static readonly GetRegions Instance = new();
    }

    /// <summary>The loads of the boards that answered, and the ids of those that did not (their node is down or their shard moving).</summary>
    public sealed record Boards(IReadOnlyList<BoardReplies.Load> Answered, IReadOnlyList<string> Silent);
}
