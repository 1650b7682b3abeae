using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Actors.Sem;
using Dpr.Fabric.Boards;

namespace Dpr.TestKit;

/// <summary>The board as a test sees and operates it: its partitions, what each holds, its swap history and port writes, and the operator's load and reset.</summary>
public sealed class TestBoard
{
    private readonly TestNode _node;

    internal TestBoard(TestNode node) => _node = node;

    public Board Profile => _node.Profile;

    /// <summary>The partitions that host modules (each has a region manager).</summary>
    public IReadOnlyList<string> Partitions => [.. _node.Runtime.Regions.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The partition a test means when it names none: the first that hosts modules.</summary>
    public string DefaultPartition => Partitions[0];

    /// <summary>The modules the catalog serves, by name.</summary>
    public IReadOnlyList<string> Modules => [.. _node.Catalog.Modules.Select(m => m.Name).Order(StringComparer.Ordinal)];

    /// <summary>What the region manager of <paramref name="partition"/> says it holds and how it is.</summary>
    public Task<RegionReplies.State> StateAsync(string? partition = null) =>
        Region(partition).Ask<RegionReplies.State>(new RegionCommands.GetState(), _node.Options.Patience);

    /// <summary>The module loaded in <paramref name="partition"/>; null when it holds none (empty, loading, faulted).</summary>
    public async Task<string?> ModuleInAsync(string? partition = null) =>
        await StateAsync(partition) is { Status: RegionStatus.Loaded, Module: { } module } ? module : null;

    /// <summary>Every swap event on record, oldest first, across restarts; of one partition when named.</summary>
    public IReadOnlyList<SwapRecord> SwapHistory(string? partition = null) =>
        [.. _node.JournalEvents(NodeJournal.Regions)
            .Select(e => (Partition: PartitionOf(e.PersistenceId), e.Payload))
            .Where(e => partition is null || e.Partition == partition)
            .Select(e => e.Payload switch
            {
                RegionEvents.SwapStarted s => new SwapRecord(e.Partition, s.Module, SwapStep.Started, s),
                RegionEvents.SwapCompleted c => new SwapRecord(e.Partition, c.Module, SwapStep.Completed, c),
                RegionEvents.SwapFailed f => new SwapRecord(e.Partition, f.Module, SwapStep.Failed, f),
                _ => null,
            })
            .OfType<SwapRecord>()];

    /// <summary>Every write on the configuration port, in the order they began, across restarts.</summary>
    public IReadOnlyList<PortWrite> PortWrites => _node.Port.Writes;

    /// <summary>An operator's load (as <c>POST /v1/regions/{partition}/load</c>): answered <see cref="RegionReplies.Loaded"/> or <see cref="RegionReplies.LoadFailed"/>.</summary>
    /// <exception cref="AskTimeoutException">No answer within <see cref="DprTestKitOptions.AskTimeout"/> (the service's 503): the region manager is coming back from its journal.</exception>
    public Task<object> LoadAsync(string module, string? partition = null) =>
        Region(partition).Ask<object>(new RegionCommands.Load(module), _node.Options.AskTimeout);

    /// <summary>An operator's reset of a faulted (or any) partition: it is recorded empty.</summary>
    /// <exception cref="AskTimeoutException">No answer within <see cref="DprTestKitOptions.AskTimeout"/>.</exception>
    public Task<RegionReplies.State> ResetAsync(string? partition = null, string by = "test")
    {
        _node.Disturbed();
        return Region(partition).Ask<RegionReplies.State>(new RegionCommands.Reset(by), _node.Options.AskTimeout);
    }

    /// <summary>The SEM monitor's view: upsets reported, whether the board is degraded.</summary>
    public Task<SemMonitorActor.Health> HealthAsync() =>
        _node.Runtime.SemMonitor.Ask<SemMonitorActor.Health>(new SemMonitorActor.GetHealth(), _node.Options.Patience);

    private IActorRef Region(string? partition) =>
        _node.Runtime.Regions.TryGetValue(partition ?? DefaultPartition, out var region)
            ? region
            : throw new ArgumentException($"no partition '{partition}' hosts modules; known: {string.Join(", ", Partitions)}", nameof(partition));

    private string PartitionOf(string persistenceId) =>
        persistenceId[(RegionManagerActor.PersistenceIdFor(_node.Profile.Name, "").Length)..];
}
