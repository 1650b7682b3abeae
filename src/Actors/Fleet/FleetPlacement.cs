namespace Dpr.Actors.Fleet;

/// <summary>
/// Which board of the fleet takes a job (docs/fleet.md, "Placement"). A pure function of the boards' loads,
/// shared by the service and <c>dpr bench fleet</c>. A module stays on the boards that serve it (hold it, or
/// have its jobs queued) as long as one of them can start the job within the aging bound: its predicted start
/// for the job (<see cref="BoardReplies.Load.PredictedStart"/>: its queued work and the swaps that work needs)
/// within <c>within</c>, the bound less a headroom. Only then does the module spread, to the board where the
/// swap costs least. Not a margin over the other boards' queues: a module with room on its boards never moves,
/// however short the other queues are, so a swap is spent only when a board of its own could not keep the bound.
/// <list type="number">
/// <item>a board that serves the module and can start the job in time: the one serving the fewest modules
/// (a module kept off the boards it shares leaves them, and they swap less), then the earliest predicted start;</item>
/// <item>else a board that does not serve it and can load it in time: an empty partition first, then the
/// earliest predicted start (the swap included);</item>
/// <item>else (no board can) the earliest predicted start of all.</item>
/// </list>
/// Ties go to the board name's order, so repeated decisions over the same loads agree.
/// </summary>
public static class FleetPlacement
{
    /// <param name="swapCost">The partition time of one swap (the scheduler's <c>SwapCost</c>).</param>
    /// <param name="within">The latest predicted start that keeps a job on a board: the boards' aging bound less a headroom.</param>
    /// <returns>The chosen board, or null when <paramref name="boards"/> is empty.</returns>
    public static string? Choose(string module, IReadOnlyCollection<BoardReplies.Load> boards, TimeSpan swapCost, TimeSpan within)
    {
        var starts = boards.Select(b => (Board: b, Start: b.PredictedStart(module, swapCost))).ToList();
        var inTime = starts.Where(s => s.Start <= within).ToList();
        var holder = inTime.Where(s => s.Board.Serves(module))
            .OrderBy(s => s.Board.ServedModules).ThenBy(s => s.Start).ThenBy(s => s.Board.Board, StringComparer.Ordinal)
            .FirstOrDefault().Board;
        var swap = inTime.Where(s => !s.Board.Serves(module))
            .OrderByDescending(s => s.Board.IdlePartitions > 0).ThenBy(s => s.Start).ThenBy(s => s.Board.Board, StringComparer.Ordinal)
            .FirstOrDefault().Board;
        var soonest = starts.OrderBy(s => s.Start).ThenBy(s => s.Board.Board, StringComparer.Ordinal).FirstOrDefault().Board;
        return (holder ?? swap ?? soonest)?.Board;
    }
}
