using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;

namespace Dpr.TestKit;

/// <summary>
/// Faults injected into the node, through the pieces <c>dpr serve</c>'s fault injection uses: the simulated
/// port's <see cref="FaultPlan"/>, the simulated board's SEM controller (<c>SimulatedBoard.Strike</c>), and
/// the persistence TestKit journals' write interceptors. A crash and restart is <see cref="TestNode.RestartAsync"/>.
/// </summary>
public sealed class TestFaults
{
    private readonly TestNode _node;

    internal TestFaults(TestNode node) => _node = node;

    /// <summary>Writes the simulated port has begun since the board started (a fault by number counts these, 1-based).</summary>
    public int PortWrites => _node.Simulated.Port.Writes;

    /// <summary>The <paramref name="write"/>-th write of the port (1-based, since the board started) fails with <paramref name="fault"/>.</summary>
    public void PortFailsWrite(int write, SimulatedFault fault)
    {
        _node.Disturbed();
        _node.PortFaults.OnWrite(write, fault);
    }

    /// <summary>The next write fails with <paramref name="fault"/>; a hang stalls <paramref name="hangFor"/> of the node's time (virtual: until advanced), or until the swap timeout cancels it.</summary>
    public void PortFailsNextWrite(SimulatedFault fault, TimeSpan? hangFor = null)
    {
        _node.Disturbed();
        _node.PortFaults.OnNextWrite(fault, hangFor);
    }

    /// <summary>The next write of <paramref name="module"/> fails with <paramref name="fault"/>.</summary>
    public void PortFailsModule(string module, SimulatedFault fault)
    {
        _node.Disturbed();
        _node.PortFaults.OnModule(module, fault);
    }

    /// <summary>The scripted port faults no write has hit yet.</summary>
    public IReadOnlyList<PlannedFault> PendingPortFaults => _node.PortFaults.Pending;

    /// <summary>
    /// An upset in <paramref name="partition"/> (null: the static design), as the SEM controller reports it,
    /// and waits until the SEM monitor has the report (it comes over the controller's line, polled on a timer).
    /// </summary>
    /// <exception cref="InvalidOperationException">The controller is not observing (after an uncorrectable upset it waits for a reload; or idled for a port write).</exception>
    public async Task<InjectedUpset> UpsetAsync(string? partition, bool correctable)
    {
        var target = partition is null ? null : _node.Profile.Partition(partition);
        var before = (await _node.Board.HealthAsync()).Upsets;
        var upset = _node.Simulated.Strike(target, correctable);
        _node.Disturbed();
        await ReportedAsync(before + 1);
        return upset;
    }

    /// <summary>
    /// A storm: <paramref name="upsets"/> correctable upsets in consecutive frames of <paramref name="partition"/>,
    /// each reported before the next, and each struck once the controller observes again (the repair of the
    /// one before idles it for its port write). Stops early when the controller stays idle (after an
    /// uncorrectable upset, until the reload).
    /// </summary>
    /// <returns>How many upsets were injected.</returns>
    public async Task<int> StormAsync(string partition, int upsets)
    {
        var frames = _node.Profile.FramesOf(_node.Profile.Partition(partition)).ToList();
        var injected = 0;
        // A write may idle the controller between the check and the strike: tried again, a bounded number of times.
        for (var attempt = 0; injected < upsets && attempt < upsets * 10 && await ObservingAsync(); attempt++)
        {
            var before = (await _node.Board.HealthAsync()).Upsets;
            try
            {
                _node.Simulated.InjectUpset(frames[(frames.Count / 2 + injected) % frames.Count], 40, 7, correctable: true);
            }
            catch (InvalidOperationException)
            {
                // Idled for a port write since the check: the controller detects nothing then.
                continue;
            }
            _node.Disturbed();
            await ReportedAsync(before + 1);
            injected++;
        }
        return injected;
    }

    /// <summary>The next <paramref name="writes"/> writes to <paramref name="journal"/> are refused (rejected): the actor is told and goes on without that event.</summary>
    public void RefuseJournalWrites(NodeJournal journal, int writes = 1)
    {
        _node.Disturbed(writes);
        _node.Ledger(journal).Refuse(writes);
    }

    /// <summary>Every write to <paramref name="journal"/> fails until <see cref="EndJournalOutage"/>: the writing actor stops, and its back-off supervisor brings it back from the journal.</summary>
    public void StartJournalOutage(NodeJournal journal)
    {
        _node.Disturbed();
        _node.Ledger(journal).SetOutage(true);
    }

    public void EndJournalOutage(NodeJournal journal) => _node.Ledger(journal).SetOutage(false);

    /// <summary>How many writes to <paramref name="journal"/> its outages have failed so far: a test waits for one before it ends the outage.</summary>
    public int JournalWritesFailedInOutage(NodeJournal journal) => _node.Ledger(journal).FailedInOutage;

    /// <summary>Whether the controller observes, waiting out a port write's turn (bounded: a controller idle after an uncorrectable upset stays idle).</summary>
    private async Task<bool> ObservingAsync()
    {
        try
        {
            await _node.WaitUntilAsync(() => Task.FromResult(_node.Simulated.Sem.State == SemState.Observation), () => "the SEM controller to observe", TimeSpan.FromSeconds(10));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private Task ReportedAsync(long upsets) =>
        _node.WaitUntilAsync(async () => (await _node.Board.HealthAsync()).Upsets >= upsets, () => $"the SEM monitor to have {upsets} upset reports");
}
