using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;

namespace Dpr.Host.Fleet;

/// <summary>
/// The boards of the fleet as an intake asks them (<see cref="FleetIntakeActor"/>, <see cref="TenantIntakeActor"/>):
/// through the boards' shard region (or its proxy), every board at once, a board that does not answer in time
/// counted as silent rather than waited for.
/// </summary>
/// <param name="region">The shard region of <see cref="BoardEntityActor"/> (a probe in tests).</param>
/// <param name="ids">Every board of the fleet.</param>
/// <param name="timeout">How long a board's intake is given to answer (<c>Dpr:AskTimeoutSeconds</c>).</param>
public sealed class FleetBoards(IActorRef region, IReadOnlyList<string> ids, TimeSpan timeout)
{
    /// <summary>How long a board's load is waited for before placement goes on without it.</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(2);

    public IActorRef Region => region;

    public IReadOnlyList<string> Ids => ids;

    public TimeSpan Timeout => timeout;

    /// <summary>The loads of the boards that answered, and the boards that did not.</summary>
    public async Task<FleetIntakeActor.Boards> LoadsAsync()
    {
        // Shorter than the ask timeout: a board whose node died holds up no submission for long.
        var wait = TimeSpan.FromTicks(Math.Min(timeout.Ticks, LoadTimeout.Ticks));
        var answers = await Task.WhenAll(ids.Select(async b => (Board: b, Load: await AskOrNullAsync(new BoardCommands.GetLoad(b), wait) as BoardReplies.Load)));
        return new([.. answers.Where(a => a.Load is not null).Select(a => a.Load!)], [.. answers.Where(a => a.Load is null).Select(a => a.Board)]);
    }

    /// <summary>The board whose intake has the tenant's idempotency key, and the boards that could not say (silent, or their index failed).</summary>
    public async Task<(string? Holder, IReadOnlyList<string> Silent)> KeyHolderAsync(string tenant, string key)
    {
        var find = new JobCommands.FindKey(tenant, key);
        var answers = await Task.WhenAll(ids.Select(async b => (Board: b, Answer: await AskOrNullAsync(new BoardCommands.FindKey(b, find), LoadTimeout, anyFailure: true))));
        return (answers.FirstOrDefault(a => a.Answer is JobReplies.KeyHeld { Held: true }).Board,
            [.. answers.Where(a => a.Answer is not JobReplies.KeyHeld).Select(a => a.Board)]);
    }

    /// <summary>Asks every board; null for each that did not answer in time.</summary>
    public Task<object?[]> AskEveryAsync(Func<string, IBoardCommand> command) => Task.WhenAll(ids.Select(b => AskOrNullAsync(command(b))));

    /// <param name="anyFailure">Also null when the board answered with a failure (its index could not be read), not only when it was silent.</param>
    public async Task<object?> AskOrNullAsync(IBoardCommand command, TimeSpan? wait = null, bool anyFailure = false)
    {
        try
        {
            return await region.Ask<object>(command, wait ?? timeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException || anyFailure)
        {
            return null;
        }
    }
}
