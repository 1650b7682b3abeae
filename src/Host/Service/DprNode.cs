using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Node;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Host.Service;

/// <summary>
/// One board served by this process: the board and its port (simulated, or the Linux fpga_manager
/// with /dev/mem), the module catalog, the stores under the data directory, and — once
/// <see cref="StartRegions"/> and <see cref="StartJobs"/> ran on an actor system — one supervised
/// region manager per partition, the SEM monitor, the job intake and the dispatcher.
/// <c>dpr serve</c> starts them through Akka.Hosting (<see cref="DprAkkaBuilderExtensions"/>).
/// </summary>
public sealed class DprNode : IDisposable
{
    private readonly IPhysicalMemory _memory;
    private readonly MemoryRegion _buffers;
    private readonly NodeRuntime _runtime;

    private DprNode(ServiceOptions options, Board board, ModuleCatalog catalog, IConfigurationPort port, IPhysicalMemory memory, MemoryRegion buffers, SimulatedBoard? simulated)
    {
        Options = options;
        Board = board;
        Catalog = catalog;
        (Sem, SemTurns) = NodeSem.Open(board, memory, simulated);
        Port = NodeSem.TakingTurns(port, SemTurns);
        Simulated = simulated;
        _memory = memory;
        _buffers = buffers;
        Limits = RequestLimits.For(options, board);
        // With PostgreSQL, results, inputs and finished jobs are in the journal's database, which several hosts share.
        var retention = TimeSpan.FromHours(options.ResultRetentionHours);
        if (options.JournalSettings is { Provider: Actors.Journal.JournalProvider.PostgreSql } journal)
        {
            Blobs = new PostgresBlobStore(journal, Path.Combine(options.DataDirectory, "uploads"));
            Results = new PostgresResultStore(journal, retention);
            Index = new PostgresJobIndex(journal);
        }
        else
        {
            Blobs = new BlobStore(Path.Combine(options.DataDirectory, "blobs"));
            Results = new ResultStore(Path.Combine(options.DataDirectory, "results"), retention);
            Index = new JobIndex(Path.Combine(options.DataDirectory, "jobs.db"));
        }
        var settings = new NodeSettings(
            MaxOpenJobs: options.MaxOpenJobs, MaxOpenJobsPerTenant: options.MaxOpenJobsPerTenant, MaxOpenWorkPerTenant: TimeSpan.FromSeconds(options.MaxOpenWorkSecondsPerTenant),
            SwapHistoryKept: TimeSpan.FromDays(options.SwapHistoryDays), ResultRetention: retention, Placement: options.PlacementPolicy, TenantWeights: options.Weights,
            Prefetch: options.Prefetch, LoadEmptyAtOnce: options.Cluster.Enabled);
        _runtime = new NodeRuntime(new NodeParts(board, catalog, Port, memory, buffers, Sem, Blobs, Results, Index), settings, TimeProvider.System);
    }

    public ServiceOptions Options { get; }

    public Board Board { get; }

    /// <summary>The board's name in persistence ids and actor names: the profile's name, or its id in a fleet (<c>pynq-z2-3</c>).</summary>
    public string BoardId => _runtime.BoardId;

    /// <summary>In a fleet (<c>Dpr:Cluster</c>), the fleet's intake, which is also <see cref="Intake"/>; null otherwise.</summary>
    public IActorRef? Fleet { get; private set; }

    public ModuleCatalog Catalog { get; }

    public IConfigurationPort Port { get; }

    /// <summary>The static design's SEM controller on its monitor line (<see cref="SemController.None"/> when the board has none).</summary>
    public SemController Sem { get; }

    /// <summary>The turns of the configuration engine between the PCAP and the SEM controller; null when the board has no SEM controller.</summary>
    public SemTurns? SemTurns { get; }

    /// <summary>The SEM monitor actor (upsets, degraded health), once the regions are started.</summary>
    public IActorRef SemMonitor => _runtime.SemMonitor;

    /// <summary>The simulated board, when the port is simulated.</summary>
    public SimulatedBoard? Simulated { get; }

    /// <summary>What the static design check found at start (after the load, with <c>Dpr:LoadStatic</c>); never foreign: that fails the start.</summary>
    public StaticDesignVerdict StaticDesign { get; private set; } = new(StaticDesignStatus.Unverified, "not checked");

    /// <summary>Why every partition is recorded empty as the regions start (the static image was loaded at start); null when it was not loaded.</summary>
    public string? StaticLoadedAtStart { get; private init; }

    /// <summary>The simulated port's fault plan: faults added to it hit the next writes. Null on a real board.</summary>
    public FaultPlan? PortFaults { get; private init; }

    public IBlobStore Blobs { get; }

    /// <summary>What a request may carry (<c>Dpr:MaxRequestBytes</c>...), as set or derived from the board.</summary>
    public RequestLimits Limits { get; }

    /// <summary>The DMA buffer of each partition that hosts modules, in bytes: a job whose pass needs more cannot run (<see cref="ConvDriver.PassBytes"/>).</summary>
    public long DmaBufferBytes => _runtime.DmaBufferBytes;

    public IResultStore Results { get; }

    /// <summary>Finished jobs (the intake holds only open ones): read here, off the actors' threads.</summary>
    public IJobIndex Index { get; }

    /// <summary>The region manager of each partition that hosts a module (through its back-off supervisor).</summary>
    public IReadOnlyDictionary<string, IActorRef> Regions => _runtime.Regions;

    /// <summary>The partitions that host modules, the keys of <see cref="Regions"/> once they started; on a fleet node, those of every board of the fleet.</summary>
    public IReadOnlyList<string> HostedPartitions => _runtime.HostedPartitions;

    /// <summary>The board's job intake; in a fleet, the fleet's (<see cref="Fleet"/>).</summary>
    public IActorRef Intake => Fleet ?? _runtime.Intake;

    public IActorRef Dispatcher => _runtime.Dispatcher;

    public bool JobsStarted => _runtime.JobsStarted;

    /// <summary>Deletes the finished jobs past the retention with their results and blobs, and what no kept job needs (<see cref="JobStorageSweeperActor"/>).</summary>
    public IActorRef Storage => _runtime.Storage;

    /// <summary>The board, its port and its catalog; on the simulated board a catalog of synthetic modules is written on first start.</summary>
    public static DprNode Create(ServiceOptions options)
    {
        var board = BoardCatalog.Load(options.Board);
        var modules = options.ModulesDirectory;
        if (options.Simulated && (!Directory.Exists(modules) || Directory.GetFiles(modules, "*" + ModuleCatalog.ManifestSuffix).Length == 0))
        {
            ModuleCatalog.WriteSynthetic(board, modules);
        }
        var catalog = ModuleCatalog.Load(modules, board, new ModuleCatalogOptions(options.RequireSignedModules, options.LoadTrustedKeys()));
        if (!options.Simulated)
        {
            var memory = board.Memory ?? throw new ServiceOptionsException(
                [$"{ServiceOptions.Section}:{nameof(ServiceOptions.Board)}: board '{board.Name}' has no memory region for DMA buffers; the {options.Port} port needs one (docs/boards.md)"]);
            var devMem = new DevMemPhysicalMemory();
            try
            {
                var boardPort = BoardPort(options, () => options.ConfigurationPort switch
                {
                    "overlay" => new LinuxOverlayPort(board),
                    "hwicap" => new HwicapPort(board, devMem),
                    _ => new LinuxFpgaManagerPort(),
                });
                var (verdict, loaded) = PrepareStatic(options, board, boardPort, () => StaticDesignCheck.OnHardware(board, new LinuxFpgaManagerOptions(), devMem));
                return new DprNode(options, board, catalog, boardPort, devMem, memory, null) { StaticDesign = verdict, StaticLoadedAtStart = loaded };
            }
            catch
            {
                devMem.Dispose();
                throw;
            }
        }
        var port = SimulatedPortOptions.For(board.Port) with { RealTime = options.RealTime };
        // A fault plan of its own, so faults can be injected into the running service (tests, chaos).
        var faults = new FaultPlan();
        var simulated = new SimulatedBoard(board, new SimulatedBoardOptions(Port: port, Faults: faults, StaticDesign: options.SimulatedStaticDesign));
        // The simulated DDR is at most SimulatedBoardOptions.DdrBytes of the board's memory region.
        var buffers = new MemoryRegion(simulated.Ddr.BaseAddress, (ulong)simulated.Ddr.Length);
        // The overlay and HWICAP ports' own code over the simulated kernel and core, fed the same fault plan.
        var configurationPort = BoardPort(options, () => options.ConfigurationPort switch
        {
            "overlay" => simulated.OverlayPort(),
            "hwicap" => simulated.HwicapPort(),
            _ => simulated.Port,
        });
        var (simulatedVerdict, simulatedLoad) = PrepareStatic(options, board, configurationPort, () => StaticDesignCheck.OnSimulated(simulated.Device));
        return new DprNode(options, board, catalog, configurationPort, simulated, buffers, simulated)
        {
            PortFaults = faults,
            StaticDesign = simulatedVerdict,
            StaticLoadedAtStart = simulatedLoad,
        };
    }

    /// <summary>A board of a fleet: as <see cref="Create(ServiceOptions)"/>, with its own persistence ids under <paramref name="boardId"/>.</summary>
    public static DprNode Create(ServiceOptions options, string boardId)
    {
        var node = Create(options);
        node._runtime.BoardId = boardId;
        return node;
    }

    /// <summary>In a fleet: HTTP requests go to the fleet's intake (<see cref="Fleet"/>), not to a board of this node's own.</summary>
    public void ServeFleet(IActorRef fleet) => Fleet = fleet;

    /// <summary>
    /// The static design at start, before the regions start: loaded through the port when
    /// <c>Dpr:LoadStatic</c> is set, then checked. A foreign design (or none) fails the start, as an
    /// unusable port does: serving its partitions would write partials into a design they were not built for.
    /// </summary>
    /// <returns>The check's verdict, and why the partitions were emptied when the image was loaded.</returns>
    private static (StaticDesignVerdict Verdict, string? Loaded) PrepareStatic(ServiceOptions options, Board board, IConfigurationPort port, Func<StaticDesignVerdict> check)
    {
        const string setting = $"{ServiceOptions.Section}:{nameof(ServiceOptions.LoadStatic)}";
        string? loaded = null;
        if (options.LoadStatic)
        {
            var image = StaticImageFile.Read(options, board);
            try
            {
                // Nothing else writes yet (no region has started): the port is ours, and the start waits for it.
                port.WriteAsync(image, null, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (ConfigurationPortException e)
            {
                throw new ServiceOptionsException([$"{setting}: loading the static image '{image.Name}' through the {port.Name} port failed: {e.Message}"]);
            }
            loaded = $"static design '{image.Name}' loaded at start ({setting})";
        }
        var verdict = check();
        return verdict.Serves
            ? (verdict, loaded)
            : throw new ServiceOptionsException([$"{setting}: static design check: {verdict.Reason}. Set {setting}=true to load board '{board.Name}''s static image at start, or serve the board profile of the design in the PL ({ServiceOptions.Section}:{nameof(ServiceOptions.Board)})"]);
    }

    /// <summary>
    /// The port, ready: an overlay port removes the overlays an earlier run left on the board's regions
    /// now, so a missing configfs fails the start instead of the first swap. A port that cannot be used
    /// names the setting.
    /// </summary>
    private static IConfigurationPort BoardPort(ServiceOptions options, Func<IConfigurationPort> create)
    {
        try
        {
            var port = create();
            (port as LinuxOverlayPort)?.RemoveStaleOverlays();
            return port;
        }
        catch (ConfigurationPortException e)
        {
            throw new ServiceOptionsException([$"{ServiceOptions.Section}:{nameof(ServiceOptions.Port)}: the {options.Port} port cannot be used: {e.Message}"]);
        }
    }

    /// <summary>The static design check again (after a static load), remembered as <see cref="StaticDesign"/>.</summary>
    public StaticDesignVerdict CheckStaticDesign() =>
        StaticDesign = Simulated is { } simulated
            ? StaticDesignCheck.OnSimulated(simulated.Device)
            : StaticDesignCheck.OnHardware(Board, new LinuxFpgaManagerOptions(), _memory);

    /// <summary>A back-off supervised region manager per hosting partition, and the SEM monitor fed by the simulated board (<see cref="NodeRuntime.StartRegions"/>).</summary>
    public void StartRegions(IActorRefFactory system) => _runtime.StartRegions(system, StaticLoadedAtStart);

    /// <summary>The intake, the dispatcher and the storage sweeper (<see cref="NodeRuntime.StartJobs"/>).</summary>
    public void StartJobs(IActorRefFactory system) => _runtime.StartJobs(system);

    /// <summary>A job as the intake or else the index has it; null when neither does (<see cref="NodeRuntime.FindJobAsync"/>).</summary>
    /// <exception cref="AskTimeoutException">The intake did not answer within <paramref name="timeout"/>.</exception>
    public Task<JobReplies.JobStatus?> FindJobAsync(Guid jobId, TimeSpan timeout) => _runtime.FindJobAsync(jobId, timeout, Fleet);

    /// <summary>A tenant's jobs, newest first, from the intake and the index (<see cref="JobListing.Merge"/>), optionally only those in <paramref name="state"/>.</summary>
    /// <exception cref="AskTimeoutException">The intake did not answer within <paramref name="timeout"/>.</exception>
    public async Task<JobReplies.JobStatus[]> ListJobsAsync(string tenant, JobState? state, int limit, TimeSpan timeout)
    {
        var held = await Intake.Ask<JobReplies.JobList>(new JobCommands.ListJobs(tenant, state, limit), timeout);
        var stored = state is JobState.Queued or JobState.Running ? [] : Index.List(tenant, state, limit).Select(j => j.ToStatus()).ToList();
        return JobListing.Merge(held.Jobs, stored, limit);
    }

    public void Dispose()
    {
        _runtime.Dispose();
        Sem.Dispose();
        Results.Dispose();
        Index.Dispose();
        (_memory as IDisposable)?.Dispose();
    }
}
