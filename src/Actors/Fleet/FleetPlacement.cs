namespace Dpr.Actors.Fleet;

/// <summary>
/// Which board of the fleet takes a job (docs/fleet.md, "Placement"). A pure function of the boards'
/// loads, shared by the service and <c>dpr bench fleet</c>. It weighs queued <em>work</em> (the board time
/// the model estimates for each queued job, <see cref="BoardReplies.Load.Backlog"/>), not job counts: job
/// sizes differ 200-fold, so a count says little about when a job would start.
/// <list type="number">
/// <item>a board that serves the module (holds it, or has jobs queued for it) with the least backlog;</item>
/// <item>unless that backlog exceeds the cheapest swap's (another board's backlog plus
/// <c>swapCost</c>) by more than <c>spreadMargin</c>: then the module spreads to that board; the
/// cheapest swap is a board with an empty partition first, then the least backlog;</item>
/// <item>with no board serving the module, that cheapest swap.</item>
/// </list>
/// The margin keeps a module on the boards that hold it through short bursts: a module spreads only when
/// waiting for its holders costs more than a swap by that much, so boards do not end up serving every
/// module in turn. Ties go to the board name's order, so repeated decisions over the same loads agree.
/// </summary>
public static class FleetPlacement
{
    /// <returns>The chosen board, or null when <paramref name="boards"/> is empty.</returns>
    public static string? Choose(string module, IReadOnlyCollection<BoardReplies.Load> boards, TimeSpan swapCost, TimeSpan spreadMargin)
    {
        var holder = boards.Where(b => b.Serves(module))
            .OrderBy(b => b.Backlog).ThenBy(b => b.Board, StringComparer.Ordinal)
            .FirstOrDefault();
        var swap = boards.Where(b => !b.Serves(module))
            .OrderByDescending(b => b.IdlePartitions > 0).ThenBy(b => b.Backlog).ThenBy(b => b.Board, StringComparer.Ordinal)
            .FirstOrDefault();
        if (holder is null || swap is null)
        {
            return (holder ?? swap)?.Board;
        }
        return holder.Backlog > swap.Backlog + swapCost + spreadMargin ? swap.Board : holder.Board;
    }
}
