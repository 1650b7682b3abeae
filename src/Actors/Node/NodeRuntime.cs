using Akka.Actor;
using Akka.Pattern;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;
using Dpr.Actors.Sem;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Boards;

namespace Dpr.Actors.Node;

/// <summary>
/// The actors of one board, as <c>dpr serve</c> runs them and as Dpr.TestKit starts them: one back-off
/// supervised region manager per partition that hosts a module, the SEM monitor fed by the controller's
/// line, the job intake, the dispatcher and the storage sweeper. Nothing about HTTP.
/// </summary>
public sealed class NodeRuntime : IDisposable
{
    /// <summary>The dispatcher's name under <c>/user</c> (or the fleet's board entity): the intake finds it by its path, even after either restarts.</summary>
    public const string DispatcherName = "dispatcher";

    private readonly NodeParts _parts;
    private readonly NodeSettings _settings;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _semPolling = new();
    private Dictionary<string, IActorRef> _regions = [];
    private IActorRef? _intake;
    private IActorRef? _dispatcher;
    private IActorRef? _storage;
    private IActorRef? _semMonitor;

    /// <param name="time">The clock of the actors' decisions and records (the service: <see cref="TimeProvider.System"/>).</param>
    public NodeRuntime(NodeParts parts, NodeSettings settings, TimeProvider time)
    {
        _parts = parts;
        _settings = settings;
        _time = time;
        BoardId = parts.Board.Name;
        // Each partition that hosts a module gets an equal share of the DMA memory (StartRegions).
        DmaBufferBytes = (long)(parts.Buffers.Size / (ulong)Math.Max(1, Hosted.Count));
    }

    /// <summary>
    /// The board's name in persistence ids and actor names: the profile's name, or its id in a fleet
    /// (<c>pynq-z2-3</c>); set before the actors start.
    /// </summary>
    public string BoardId { get; set; }

    /// <summary>The DMA buffer of each partition that hosts modules, in bytes: a job whose pass needs more cannot run (<see cref="ConvDriver.PassBytes"/>).</summary>
    public long DmaBufferBytes { get; }

    /// <summary>The region manager of each partition that hosts a module (through its back-off supervisor).</summary>
    public IReadOnlyDictionary<string, IActorRef> Regions => _regions;

    /// <summary>The SEM monitor actor (upsets, degraded health), once the regions are started.</summary>
    public IActorRef SemMonitor => _semMonitor ?? throw new InvalidOperationException("the regions have not been started");

    public IActorRef Intake => _intake ?? throw new InvalidOperationException("the jobs have not been started");

    public IActorRef Dispatcher => _dispatcher ?? throw new InvalidOperationException("the jobs have not been started");

    public bool JobsStarted => _storage is not null;

    /// <summary>Deletes the finished jobs past the retention with their results and blobs, and what no kept job needs (<see cref="JobStorageSweeperActor"/>).</summary>
    public IActorRef Storage => _storage ?? throw new InvalidOperationException("the jobs have not been started");

    /// <summary>Every top-level actor started, regions first.</summary>
    public IEnumerable<IActorRef> Actors => [.. _regions.Values, .. new[] { _semMonitor, _intake, _dispatcher, _storage }.OfType<IActorRef>()];

    /// <summary>The partitions that host modules (each gets a region manager), whether or not the regions have started.</summary>
    public IReadOnlyList<string> HostedPartitions => [.. Hosted.Select(p => p.Name)];

    private List<Partition> Hosted =>
        [.. _parts.Board.Partitions.Where(p => _parts.Catalog.Modules.Any(m => m.Partition == p))];

    /// <summary>A back-off supervised region manager per hosting partition, and the SEM monitor fed by the controller.</summary>
    /// <param name="invalidatedBecause">Why every partition is recorded empty first (the static image was loaded at start); null when it was not.</param>
    /// <param name="system">The actor system, or in a fleet the board entity's context (the actors are its children).</param>
    public void StartRegions(IActorRefFactory system, string? invalidatedBecause = null)
    {
        var board = _parts.Board;
        var slice = (ulong)DmaBufferBytes;
        _regions = Hosted.Select((partition, i) =>
        {
            var hardware = new PartitionHardware(board, partition, _parts.Port, _parts.Memory, new MemoryRegion(_parts.Buffers.Base + ((ulong)i * slice), slice));
            var manager = RegionManagerActor.Props(BoardId, hardware, _parts.Catalog, _settings.RegionOptions, _time);
            // A region manager that stops (its journal failed) comes back from its journal.
            var supervised = BackoffSupervisor.Props(Backoff.OnStop(manager, "manager", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.2, -1));
            return (partition.Name, Ref: system.ActorOf(supervised, RegionManagerActor.PersistenceIdFor(BoardId, partition.Name)));
        }).ToDictionary(r => r.Name, r => r.Ref);
        if (invalidatedBecause is { } reason)
        {
            // On record before any job reaches them (a manager stashes what arrives while it recovers): after
            // the full load every partition holds nothing, whatever its journal said.
            foreach (var region in _regions.Values)
            {
                region.Tell(new RegionCommands.Invalidate(reason));
            }
        }
        // The simulated board's controller is read and commanded over its register-level UART, as on a board.
        var sem = _parts.Sem;
        var monitor = system.ActorOf(SemMonitorActor.Props(board, _regions, sem.HasLink ? () => sem.Observe() : null), "sem");
        _semMonitor = monitor;
        if (invalidatedBecause is { } loaded)
        {
            monitor.Tell(new SemMonitorActor.StaticReloaded(loaded));
        }
        sem.Output += lines => monitor.Tell(new SemMonitorActor.Lines(lines));
        _ = Task.Run(() => sem.RunAsync(_semPolling.Token));
    }

    /// <summary>
    /// The intake (back-off supervised: a failed journal write stops it, and it comes back from its
    /// journal), which hands finished jobs to the index, the dispatcher, which the intake finds by its
    /// path even after a restart, and the storage sweeper.
    /// </summary>
    /// <param name="system">The actor system, or in a fleet the board entity's context (the actors are its children).</param>
    public void StartJobs(IActorRefFactory system)
    {
        var board = BoardId;
        var intakeOptions = new JobIntakeOptions(MaxOpenJobs: _settings.MaxOpenJobs, MaxOpenJobsPerTenant: _settings.MaxOpenJobsPerTenant, MaxOpenWorkPerTenant: _settings.OpenWorkPerTenant);
        var intake = JobIntakeActor.Props(board, intakeOptions, _time, system.ActorSelection(system is IActorContext ? DispatcherName : $"/user/{DispatcherName}"), _parts.Index);
        _intake = system.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(intake, "intake", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.2, -1)),
            $"jobs-{board}");
        _dispatcher = system.ActorOf(
            JobDispatcherActor.Props(board, _intake, _regions, _parts.Catalog, new SchedulerOptions { Placement = _settings.Placement, TenantWeights = _settings.TenantWeights, Prefetch = _settings.Prefetch, LoadEmptyAtOnce = _settings.LoadEmptyAtOnce }, _parts.Results, new ConvKernel(), _time, _parts.Blobs),
            DispatcherName);
        // A finished job is kept (look-up, list, idempotency key) as long as its result.
        _storage = system.ActorOf(JobStorageSweeperActor.Props(_intake, _parts.Index, _parts.Blobs, _parts.Results, _time, _settings.Retention), "job-storage");
    }

    /// <summary>
    /// A job as the intake (open, or finished and not yet in the index) or else the index has it; null
    /// when neither does. The intake first: it lets go of a finished job only once the index has committed
    /// it, so a job the intake no longer holds is in the index when the index is asked.
    /// </summary>
    /// <exception cref="AskTimeoutException">The intake did not answer within <paramref name="timeout"/>.</exception>
    /// <param name="intake">The intake to ask instead of this node's (a fleet's, which finds the board that has the job).</param>
    public async Task<JobReplies.JobStatus?> FindJobAsync(Guid jobId, TimeSpan timeout, IActorRef? intake = null) =>
        await (intake ?? Intake).Ask<object>(new JobCommands.GetJob(jobId), timeout) as JobReplies.JobStatus
            ?? _parts.Index.Find(jobId)?.ToStatus();

    /// <summary>Stops polling the SEM controller; the actors stop with their actor system.</summary>
    public void Dispose() => _semPolling.Cancel();
}
