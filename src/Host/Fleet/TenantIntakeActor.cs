using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Host.Fleet;

/// <summary>
/// One tenant's job intake in the fleet, a Cluster.Sharding entity (entity id = the tenant, docs/fleet.md): every
/// submission of the tenant, through whichever node, is decided here, one at a time, and answered only once the board
/// it went to has stored it. So the next decision sees it: a second submission with the same idempotency key finds
/// the board that holds the key, and the tenant's open jobs on every board are counted against its quotas in one
/// place. A submission with a key goes to the board that has the key, when one has it (and is refused for a retry
/// while a board cannot say); otherwise to the board <see cref="FleetPlacement"/> picks from every board's load.
/// The state is the boards' (their intakes' journals): this actor keeps none between submissions.
/// </summary>
public sealed class TenantIntakeActor : ReceiveActor
{
    private readonly FleetBoards _boards;
    /// <summary>The latest predicted start that keeps a job on a board serving its module (<see cref="ClusterSettings.PlacementWithin"/>).</summary>
    private readonly TimeSpan _within;
    private readonly JobIntakeOptions _quotas;
    private readonly TimeProvider _time;

    /// <summary>What a swap costs a board: the service's scheduler charges the same (a conv partial through PCAP).</summary>
    private static readonly TimeSpan SwapCost = new SchedulerOptions().SwapCost;

    public TenantIntakeActor(FleetBoards boards, TimeSpan within, JobIntakeOptions quotas, TimeProvider time)
    {
        _boards = boards;
        _within = within;
        _quotas = quotas;
        _time = time;
        // Asynchronous, so the tenant's next submission waits in the mailbox until this one is stored or refused.
        ReceiveAsync<TenantCommands.Submit>(async submit => Sender.Tell(_time.GetUtcNow() > submit.NotAfter
            ? new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"the submission waited behind tenant '{submit.Tenant}''s others past its caller's timeout and was not placed; retry", TimeSpan.FromSeconds(1))
            : await DecideAsync(submit.Job)));
    }

    public static Props Props(FleetBoards boards, TimeSpan within, JobIntakeOptions quotas, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new TenantIntakeActor(boards, within, quotas, time));

    private async Task<object> DecideAsync(JobCommands.Submit submit)
    {
        var tenant = submit.Request.Tenant;
        if (submit.Request.IdempotencyKey is { } key)
        {
            // A retry goes to the board that has the first attempt, which answers with that job; placement could pick another.
            var (holder, silent) = await _boards.KeyHolderAsync(tenant, key);
            if (holder is not null)
            {
                return await SubmitToAsync(holder, submit);
            }
            if (silent.Count > 0)
            {
                return new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"board(s) {string.Join(", ", silent)} did not say whether they hold idempotency key '{key}', so the job was not placed (it could run twice); retry", TimeSpan.FromSeconds(2));
            }
        }
        var loads = await _boards.LoadsAsync();
        // Each board's intake checks the tenant's quotas on its own jobs; here they hold over the fleet's (the boards that answered).
        if (_quotas.QuotaRefusal(tenant, BoardReplies.Load.OpenOf(tenant, loads.Answered), TenantLoad.Of(submit.Request), "the fleet") is { } refused)
        {
            return refused;
        }
        return FleetPlacement.Choose(submit.Request.Module, [.. loads.Answered], SwapCost, _within) is { } board
            ? await SubmitToAsync(board, submit)
            : new JobReplies.Rejected(RejectionCode.QueueFull, null, $"no board of the fleet answered within {_boards.Timeout.TotalSeconds:0.#} s ({string.Join(", ", loads.Silent)})", TimeSpan.FromSeconds(2));
    }

    private async Task<object> SubmitToAsync(string board, JobCommands.Submit submit)
    {
        try
        {
            return await _boards.Region.Ask<object>(new BoardCommands.Submit(board, submit), _boards.Timeout);
        }
        catch (AskTimeoutException)
        {
            // Not acknowledged: the client retries (with its idempotency key the board that stored it answers the same job).
            return new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"board {board} did not acknowledge the job within {_boards.Timeout.TotalSeconds:0.#} s", TimeSpan.FromSeconds(1));
        }
    }
}
