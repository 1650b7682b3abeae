using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Host.Fleet;

/// <summary>
/// The job intake of a fleet node, in the place of a board's own (<see cref="Service.DprNode.ServeFleet"/>):
/// the HTTP API asks it what it asks a board's intake, and it answers for the whole fleet. A submission
/// goes to the board <see cref="FleetPlacement"/> picks from every board's load, one submission at a time
/// (each decision sees the last one's job queued), unless the tenant's open jobs on all boards together hold its
/// quota; one with an idempotency key goes to the board that has the key, when one has it; look-ups and lists ask every board.
/// </summary>
public sealed class FleetIntakeActor : ReceiveActor
{
    private readonly IActorRef _boards;
    private readonly IReadOnlyList<string> _ids;
    /// <summary>The latest predicted start that keeps a job on a board serving its module (<see cref="ClusterSettings.PlacementWithin"/>).</summary>
    private readonly TimeSpan _within;
    private readonly TimeSpan _timeout;
    private readonly JobIntakeOptions _quotas;

    /// <summary>What a swap costs a board: the service's scheduler charges the same (a conv partial through PCAP).</summary>
    private static readonly TimeSpan SwapCost = new SchedulerOptions().SwapCost;

    /// <summary>How long a board's load is waited for before placement goes on without it.</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(2);

    public FleetIntakeActor(IActorRef boards, IReadOnlyList<string> ids, TimeSpan within, TimeSpan timeout, JobIntakeOptions quotas)
    {
        _boards = boards;
        _ids = ids;
        _within = within;
        _timeout = timeout;
        _quotas = quotas;
        ReceiveAsync<JobCommands.Submit>(SubmitAsync);
        Receive<JobCommands.GetJob>(get => FindAsync(get.JobId).PipeTo(Sender));
        Receive<JobCommands.ListJobs>(list => ListAsync(list).PipeTo(Sender));
        Receive<JobCommands.GetQueueDepths>(_ => DepthsAsync().PipeTo(Sender));
        Receive<GetBoards>(_ => LoadsAsync().PipeTo(Sender));
        Receive<GetRegions>(_ => RegionsAsync().PipeTo(Sender));
    }

    public static Props Props(IActorRef boards, IReadOnlyList<string> ids, TimeSpan within, TimeSpan timeout, JobIntakeOptions quotas) =>
        Akka.Actor.Props.Create(() => new FleetIntakeActor(boards, ids, within, timeout, quotas));

    /// <summary>Wakes every board (remember-entities keeps them running from then on).</summary>
    protected override void PreStart()
    {
        foreach (var id in _ids)
        {
            _boards.Tell(new BoardCommands.GetLoad(id));
        }
    }

    private async Task SubmitAsync(JobCommands.Submit submit) => Sender.Tell(await DecideAsync(submit));

    private async Task<object> DecideAsync(JobCommands.Submit submit)
    {
        var tenant = submit.Request.Tenant;
        if (submit.Request.IdempotencyKey is { } key)
        {
            // A retry goes to the board that has the first attempt, which answers with that job; placement could pick another.
            var (holder, silent) = await KeyHolderAsync(tenant, key);
            if (holder is not null)
            {
                return await SubmitToAsync(holder, submit);
            }
            if (silent.Count > 0)
            {
                return new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"board(s) {string.Join(", ", silent)} did not say whether they hold idempotency key '{key}', so the job was not placed (it could run twice); retry", TimeSpan.FromSeconds(2));
            }
        }
        var loads = await LoadsAsync();
        // Each board's intake checks the tenant's quotas on its own jobs; here they hold over the fleet's (the boards that answered).
        if (_quotas.QuotaRefusal(tenant, BoardReplies.Load.OpenOf(tenant, loads.Answered), TenantLoad.Of(submit.Request), "the fleet") is { } refused)
        {
            return refused;
        }
        return FleetPlacement.Choose(submit.Request.Module, [.. loads.Answered], SwapCost, _within) is { } board
            ? await SubmitToAsync(board, submit)
            : new JobReplies.Rejected(RejectionCode.QueueFull, null, $"no board of the fleet answered within {_timeout.TotalSeconds:0.#} s ({string.Join(", ", loads.Silent)})", TimeSpan.FromSeconds(2));
    }

    private async Task<object> SubmitToAsync(string board, JobCommands.Submit submit)
    {
        try
        {
            return await _boards.Ask<object>(new BoardCommands.Submit(board, submit), _timeout);
        }
        catch (AskTimeoutException)
        {
            // Not acknowledged: the client retries (with its idempotency key the board that stored it answers the same job).
            return new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"board {board} did not acknowledge the job within {_timeout.TotalSeconds:0.#} s", TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>The board whose intake has the tenant's idempotency key, and the boards that could not say (silent, or their index failed).</summary>
    private async Task<(string? Holder, IReadOnlyList<string> Silent)> KeyHolderAsync(string tenant, string key)
    {
        var find = new JobCommands.FindKey(tenant, key);
        var answers = await Task.WhenAll(_ids.Select(async b => (Board: b, Answer: await AskOrNull(new BoardCommands.FindKey(b, find), LoadTimeout, anyFailure: true))));
        return (answers.FirstOrDefault(a => a.Answer is JobReplies.KeyHeld { Held: true }).Board,
            [.. answers.Where(a => a.Answer is not JobReplies.KeyHeld).Select(a => a.Board)]);
    }

    private async Task<object> FindAsync(Guid id)
    {
        var answers = await Task.WhenAll(_ids.Select(b => AskOrNull(new BoardCommands.GetJob(b, id))));
        if (answers.OfType<JobReplies.JobStatus>().FirstOrDefault() is { } found)
        {
            return found;
        }
        // A board that did not answer (its node died, its shard is moving) may hold it: no answer rather than "not found".
        return answers.Contains(null)
            ? throw new AskTimeoutException($"job {id}: not all boards answered within {_timeout.TotalSeconds:0.#} s")
            : new JobReplies.NotFound(id);
    }

    private async Task<JobReplies.JobList> ListAsync(JobCommands.ListJobs list)
    {
        var answers = await Task.WhenAll(_ids.Select(b => AskOrNull(new BoardCommands.ListJobs(b, list))));
        var jobs = answers.OfType<JobReplies.JobList>().SelectMany(l => l.Jobs).OrderByDescending(j => j.AcceptedAt).Take(list.Limit);
        return new JobReplies.JobList([.. jobs]);
    }

    private async Task<JobReplies.QueueDepths> DepthsAsync()
    {
        var loads = await LoadsAsync();
        Dictionary<string, int> Jobs(Func<BoardReplies.Load, Dictionary<string, int>> of) =>
            loads.Answered.SelectMany(of).GroupBy(q => q.Key).ToDictionary(g => g.Key, g => g.Sum(q => q.Value));
        Dictionary<string, TimeSpan> Work(Func<BoardReplies.Load, Dictionary<string, TimeSpan>> of) =>
            loads.Answered.SelectMany(of).GroupBy(q => q.Key).ToDictionary(g => g.Key, g => TimeSpan.FromTicks(g.Sum(q => q.Value.Ticks)));
        return new JobReplies.QueueDepths(Jobs(l => l.Queued), Work(l => l.QueuedWork), Jobs(l => l.OpenJobs), Work(l => l.OpenWork));
    }

    private async Task<Boards> LoadsAsync()
    {
        // Shorter than the ask timeout: a board whose node died holds up no submission for long.
        var wait = TimeSpan.FromTicks(Math.Min(_timeout.Ticks, LoadTimeout.Ticks));
        var answers = await Task.WhenAll(_ids.Select(async b => (Board: b, Load: await AskOrNull(new BoardCommands.GetLoad(b), wait) as BoardReplies.Load)));
        return new Boards([.. answers.Where(a => a.Load is not null).Select(a => a.Load!)], [.. answers.Where(a => a.Load is null).Select(a => a.Board)]);
    }

    private async Task<IReadOnlyList<BoardReplies.Regions>> RegionsAsync()
    {
        var answers = await Task.WhenAll(_ids.Select(b => AskOrNull(new BoardCommands.GetRegions(b))));
        return [.. answers.OfType<BoardReplies.Regions>()];
    }

    /// <param name="anyFailure">Also null when the board answered with a failure (its index could not be read), not only when it was silent.</param>
    private async Task<object?> AskOrNull(IBoardCommand command, TimeSpan? wait = null, bool anyFailure = false)
    {
        try
        {
            return await _boards.Ask<object>(command, wait ?? _timeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException || anyFailure)
        {
            return null;
        }
    }

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
