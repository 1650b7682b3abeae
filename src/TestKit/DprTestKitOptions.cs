using Dpr.Actors.Node;

namespace Dpr.TestKit;

/// <summary>How <see cref="DprTestKit"/> and <see cref="TestNode"/> build the node.</summary>
/// <param name="Board">A board profile name (<c>pynq-z2</c>) or a profile's path, as <c>Dpr:Board</c>.</param>
/// <param name="VirtualTime">
/// The node's clock (event times, ages, retention, the port's modelled hangs) is a
/// <c>FakeTimeProvider</c> that moves only when the test advances it (<see cref="TestNode.AdvanceTime"/>);
/// false: the system clock.
/// </param>
/// <param name="PortFaultSeed">With <paramref name="PortFaultRate"/>: port faults drawn at that rate from this seed, the same in every run.</param>
/// <param name="PortFaultRate">The probability that a port write fails (fail, hang, partial write or corrupt, drawn evenly).</param>
/// <param name="SwapTimeout">A port write that takes longer is cancelled as a hang (real time: the cancellation is the region manager's).</param>
/// <param name="RetryBackoff">The wait before a failed swap's second attempt, doubled for each further one (real time).</param>
/// <param name="Settings">The node's bounds and policies; the service's defaults when null.</param>
public sealed record DprTestKitOptions(
    string Board = "pynq-z2",
    bool VirtualTime = true,
    int? PortFaultSeed = null,
    double PortFaultRate = 0,
    TimeSpan? SwapTimeout = null,
    TimeSpan? RetryBackoff = null,
    NodeSettings? Settings = null)
{
    /// <summary>The node's settings, with region managers on the regions journal, the kit's snapshot store, and the kit's swap timeout and back-off.</summary>
    public NodeSettings NodeSettings
    {
        get
        {
            var settings = Settings ?? new NodeSettings();
            var region = settings.RegionOptions with
            {
                SwapTimeout = SwapTimeout ?? TimeSpan.FromSeconds(2),
                RetryBackoff = RetryBackoff ?? TimeSpan.FromMilliseconds(20),
                // The kit's one snapshot store (TestNode.Config), where tests inject its failures.
                SnapshotPluginId = null,
            };
            return settings with { Region = region };
        }
    }

    /// <summary>
    /// In virtual time, how far the clock moves each time a wait of the kit (<see cref="TestJobs.AwaitEndAsync"/>,
    /// an upset's report, the invariants' settle) polls the node and finds it not there yet: time passes while
    /// a test waits, as on a board, so a scheduler that holds a job until it falls due lets it run. Zero: the
    /// clock moves only by <see cref="TestNode.AdvanceTime"/>.
    /// </summary>
    public TimeSpan TimeStepWhileWaiting { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a submission or an operator's load or reset waits for an answer, as <c>Dpr:AskTimeout</c>: an
    /// actor that stopped (its journal failed) and has not come back yet does not answer, and the caller is told so.
    /// </summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A job, a swap or a settle waits at most this long (real time) before a test fails naming what it waited for.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(60);
}
