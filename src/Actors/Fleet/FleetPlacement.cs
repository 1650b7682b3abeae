namespace Dpr.Actors.Fleet;

/// <summary>
/// Which board of the fleet takes a job (docs/fleet.md, "Placement"). A pure function of the boards'
/// loads, shared by the service and <c>dpr bench fleet</c>:
/// <list type="number">
/// <item>a board that serves the module (holds it, or has jobs queued for it) and has the fewest queued jobs;</item>
/// <item>unless its queue of that module is <c>spreadAfter</c> or longer and another board is
/// less busy: then demand spreads to the cheapest swap, a board with an empty partition first, then the fewest queued jobs;</item>
/// <item>with no board serving the module, that cheapest swap.</item>
/// </list>
/// Ties go to the board name's order, so repeated decisions over the same loads agree.
/// </summary>
public static class FleetPlacement
{
    /// <returns>The chosen board, or null when <paramref name="boards"/> is empty.</returns>
    public static string? Choose(string module, IReadOnlyCollection<BoardReplies.Load> boards, int spreadAfter)
    {
        var holder = boards.Where(b => b.Serves(module))
            .OrderBy(b => b.QueuedJobs).ThenBy(b => b.Board, StringComparer.Ordinal)
            .FirstOrDefault();
        var swap = boards.Where(b => !b.Serves(module))
            .OrderByDescending(b => b.IdlePartitions > 0).ThenBy(b => b.QueuedJobs).ThenBy(b => b.Board, StringComparer.Ordinal)
            .FirstOrDefault();
        if (holder is null || swap is null)
        {
            return (holder ?? swap)?.Board;
        }
        var crowded = holder.Queued.GetValueOrDefault(module) >= spreadAfter;
        return crowded && swap.QueuedJobs < holder.QueuedJobs ? swap.Board : holder.Board;
    }
}
