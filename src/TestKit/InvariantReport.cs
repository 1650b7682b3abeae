namespace Dpr.TestKit;

/// <summary>What <see cref="Invariants"/> found: each violation in words, and the figures it checked.</summary>
/// <param name="JournalEvents">Events both journals stored, ever.</param>
/// <param name="JournalBound">The most they may hold for this much work (<see cref="Invariants.EventsPerUnit"/>).</param>
public sealed record InvariantReport(
    IReadOnlyList<string> Violations,
    int Jobs,
    int Completed,
    int Failed,
    int SwapsCompleted,
    int PortWrites,
    int Disturbances,
    int JournalEvents,
    int JournalBound)
{
    public bool Hold => Violations.Count == 0;

    /// <exception cref="InvariantViolationException">Some invariant does not hold; the message lists each violation.</exception>
    public void AssertHold()
    {
        if (!Hold)
        {
            throw new InvariantViolationException(ToString());
        }
    }

    public override string ToString() =>
        $"{Jobs} jobs ({Completed} completed, {Failed} failed), {SwapsCompleted} swaps, {PortWrites} port writes, {Disturbances} disturbances, " +
        $"{JournalEvents} journal events (bound {JournalBound}); " +
        (Hold ? "every invariant holds" : $"{Violations.Count} violations:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Violations));
}
