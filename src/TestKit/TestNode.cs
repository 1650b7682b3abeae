using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Dpr.Actors.Jobs;
using Dpr.Actors.Journal;
using Dpr.Actors.Node;
using Dpr.Actors.Regions;
using Dpr.Actors.Serialization;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.TestKit;

/// <summary>
/// The node <c>dpr serve</c> runs (<see cref="NodeRuntime"/>: region managers, SEM monitor, job intake,
/// dispatcher, storage sweeper), without HTTP, on a simulated board, over the persistence TestKit's
/// journals of an actor system, with its stores in a directory of its own. It can crash and start
/// again over the same journals and the same board, as a process that is killed and restarted.
/// <see cref="DprTestKit"/> starts one on its actor system; the scenario runner one per run.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    /// <summary>The journal plugin of the job intake (the default plugin).</summary>
    public const string JobsJournalPlugin = "akka.persistence.journal.dpr-test";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-testkit-{Guid.NewGuid():N}");
    private readonly Dictionary<NodeJournal, JournalLedger> _ledgers = new()
    {
        [NodeJournal.Jobs] = new JournalLedger(NodeJournal.Jobs),
        [NodeJournal.Regions] = new JournalLedger(NodeJournal.Regions),
    };
    private readonly FaultPlan _faults;
    private readonly RecordingPort _port;
    private readonly BlobStore _blobs;
    private readonly ResultStore _results;
    private readonly JobIndex _index;
    private NodeRuntime? _runtime;
    private SemController? _sem;
    private int _disturbances;

    public TestNode(ActorSystem system, DprTestKitOptions? options = null)
    {
        System = system;
        Options = options ?? new DprTestKitOptions();
        Clock = Options.VirtualTime ? new RecordingClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) : null;
        Time = Clock ?? TimeProvider.System;
        Profile = BoardCatalog.Load(Options.Board);
        var modules = Path.Combine(_directory, "modules");
        ModuleCatalog.WriteSynthetic(Profile, modules);
        Catalog = ModuleCatalog.Load(modules, Profile);
        _faults = Options.PortFaultSeed is { } seed ? new FaultPlan(seed, Options.PortFaultRate) : new FaultPlan();
        var port = SimulatedPortOptions.For(Profile.Port) with { RealTime = false };
        Simulated = new SimulatedBoard(Profile, new SimulatedBoardOptions(Port: port, Faults: _faults, DdrBytes: 16 << 20, KernelThreads: 1, Time: Time));
        _port = new RecordingPort(Simulated.Port);
        _blobs = new BlobStore(Path.Combine(_directory, "blobs"));
        _results = new ResultStore(Path.Combine(_directory, "results"), Options.NodeSettings.Retention);
        _index = new JobIndex(Path.Combine(_directory, "jobs.db"));
        Board = new TestBoard(this);
        Jobs = new TestJobs(this);
        Faults = new TestFaults(this);
    }

    /// <summary>
    /// The persistence TestKit's journal (jobs) and a second one for the region managers, its snapshot
    /// store, dpr's serializer, and a time factor for small machines: the configuration of an actor system
    /// a <see cref="TestNode"/> runs on.
    /// </summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.loglevel = INFO
        akka.log-dead-letters = off
        akka.test.timefactor = 4
        akka.persistence.journal.plugin = "{{JobsJournalPlugin}}"
        {{JobsJournalPlugin}} {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        {{JournalSettings.RegionsJournal}} {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test.class = "Dpr.TestKit.NodeSnapshotStore, Dpr.TestKit"
        akka.persistence.snapshot-store.test.plugin-dispatcher = "akka.actor.default-dispatcher"
        """).WithFallback(ConfigurationFactory.ParseString(DprSerializer.Hocon));

    public ActorSystem System { get; }

    public DprTestKitOptions Options { get; }

    /// <summary>The node's clock: <see cref="Clock"/> in virtual time, else the system clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The virtual clock; null when the node runs on the system clock.</summary>
    public FakeTimeProvider? Clock { get; }

    /// <summary>The board profile (partitions, frames, port).</summary>
    public Board Profile { get; }

    public ModuleCatalog Catalog { get; }

    /// <summary>The simulated board: its device (what the PL holds), port, SEM controller and DDR.</summary>
    public SimulatedBoard Simulated { get; }

    /// <summary>The running actors; a new one after each restart.</summary>
    public NodeRuntime Runtime => _runtime ?? throw new InvalidOperationException("the node is not running: StartAsync first (DprTestKit does)");

    public TestBoard Board { get; }

    public TestJobs Jobs { get; }

    public TestFaults Faults { get; }

    /// <summary>How many times the node has started (1 after <see cref="StartAsync"/>, one more per restart).</summary>
    public int Lifetimes { get; private set; }

    /// <summary>Faults injected, resets and restarts so far: each may cost the journal a few events (<see cref="Invariants"/>).</summary>
    public int Disturbances => _disturbances;

    internal FaultPlan PortFaults => _faults;

    internal RecordingPort Port => _port;

    internal IResultStore Results => _results;

    internal JournalLedger Ledger(NodeJournal journal) => _ledgers[journal];

    internal void Disturbed(int count = 1) => Interlocked.Add(ref _disturbances, count);

    /// <summary>Every event the node's journals stored, in the order stored, across restarts.</summary>
    public IReadOnlyList<RecordedEvent> JournalEvents(NodeJournal journal) => _ledgers[journal].Events;

    /// <summary>Every timer armed on the virtual clock so far, in the order armed (a port's timed hang among them).</summary>
    /// <exception cref="InvalidOperationException">The node runs on the system clock.</exception>
    public IReadOnlyList<ArmedTimer> ArmedTimers =>
        (Clock as RecordingClock ?? throw new InvalidOperationException("the node runs on the system clock (DprTestKitOptions.VirtualTime = false): it records no timers")).Timers;

    /// <summary>Moves virtual time on (events, ages, the port's hangs see it); the Akka scheduler's timers are not virtual.</summary>
    /// <exception cref="InvalidOperationException">The node runs on the system clock.</exception>
    public void AdvanceTime(TimeSpan by) =>
        (Clock ?? throw new InvalidOperationException("the node runs on the system clock (DprTestKitOptions.VirtualTime = false): there is no time to advance")).Advance(by);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds; in virtual time the clock moves
    /// <see cref="DprTestKitOptions.TimeStepWhileWaiting"/> at each poll that finds it false.
    /// </summary>
    /// <param name="within">How long to wait; <see cref="DprTestKitOptions.Patience"/> when null.</param>
    /// <exception cref="TimeoutException">Not within <paramref name="within"/>; the message names <paramref name="what"/>.</exception>
    public Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? within = null) =>
        Eventually.TrueAsync(async () =>
        {
            if (await condition())
            {
                return true;
            }
            if (Clock is { } clock && Options.TimeStepWhileWaiting > TimeSpan.Zero)
            {
                clock.Advance(Options.TimeStepWhileWaiting);
            }
            return false;
        }, what, within ?? Options.Patience);

    /// <summary>Starts the node and waits until it is ready as <c>/readyz</c> says: the intake has recovered and every region manager answers.</summary>
    public async Task StartAsync()
    {
        if (_runtime is not null)
        {
            throw new InvalidOperationException("the node is running already");
        }
        if (Lifetimes == 0)
        {
            var persistence = Persistence.Instance.Apply(System);
            foreach (var (journal, plugin) in new[] { (NodeJournal.Jobs, JobsJournalPlugin), (NodeJournal.Regions, JournalSettings.RegionsJournal) })
            {
                await TestJournal.FromRef(persistence.JournalFor(plugin)).OnWrite.SetInterceptorAsync(_ledgers[journal]);
            }
        }
        // A process start: the SEM controller is opened again on its line and takes its turns with the port.
        var (sem, turns) = NodeSem.Open(Profile, Simulated, Simulated);
        _sem = sem;
        var parts = new NodeParts(Profile, Catalog, NodeSem.TakingTurns(_port, turns), Simulated,
            new MemoryRegion(Simulated.Ddr.BaseAddress, (ulong)Simulated.Ddr.Length), sem, _blobs, _results, _index);
        var runtime = new NodeRuntime(parts, Options.NodeSettings, Time);
        runtime.StartRegions(System);
        runtime.StartJobs(System);
        _runtime = runtime;
        Lifetimes++;
        await runtime.Intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), Options.Patience);
        foreach (var region in runtime.Regions.Values)
        {
            await region.Ask<RegionReplies.State>(new RegionCommands.GetState(), Options.Patience);
        }
    }

    /// <summary>
    /// The process dies: every actor of the node stops where it is (no drain, nothing more written), and a
    /// port write under way is cut off where it is (a killed process's write ends with it).
    /// What was stored stays in the journals.
    /// </summary>
    public async Task CrashAsync()
    {
        var runtime = Runtime;
        _runtime = null;
        var inbox = Inbox.Create(System);
        var actors = runtime.Actors.ToList();
        foreach (var actor in actors)
        {
            inbox.Watch(actor);
            System.Stop(actor);
        }
        for (var i = 0; i < actors.Count; i++)
        {
            await inbox.ReceiveAsync(Options.Patience);
        }
        // A watcher hears of a death before the guardian has freed the name: the next start takes the same names.
        foreach (var actor in actors)
        {
            await WaitUntilAsync(() => Task.FromResult(!NameTaken(actor.Path.Name)), () => $"the name of {actor.Path} to be free");
        }
        runtime.Dispose();
        _sem?.Dispose();
        _port.AbortWrites();
        await WaitUntilAsync(() => Task.FromResult(_port.InFlight == 0), () => "the port write under way at the crash to end");
    }

    private bool NameTaken(string name) =>
        ((ExtendedActorSystem)System).Guardian is LocalActorRef guardian && guardian.Cell.ChildrenContainer.TryGetByName(name, out _);

    /// <summary>
    /// Stops as <c>dpr serve</c> does on SIGTERM (no new job starts, running jobs finish, the intake stores
    /// every outcome it was told and a snapshot) and starts again; <paramref name="graceful"/> false: a
    /// crash (<see cref="CrashAsync"/>) and a start.
    /// </summary>
    public async Task RestartAsync(bool graceful = false)
    {
        Disturbed();
        if (graceful)
        {
            try
            {
                await Runtime.Dispatcher.Ask<JobDispatcherActor.Drained>(new JobDispatcherActor.Drain(), TimeSpan.FromSeconds(10));
                await Runtime.Intake.Ask<JobIntakeActor.Synced>(new JobIntakeActor.Checkpoint(), TimeSpan.FromSeconds(5));
            }
            catch (AskTimeoutException)
            {
                // As in dpr serve: jobs still running stay running on record and run again after the start.
            }
        }
        await CrashAsync();
        await StartAsync();
    }

    /// <summary>Waits until every accepted job has ended, then checks the invariants (<see cref="Invariants"/>).</summary>
    /// <param name="accepted">The jobs a submitter was told were accepted; <see cref="TestJobs.Accepted"/> when null.</param>
    /// <param name="cancelled">The jobs someone cancelled; <see cref="TestJobs.Cancelled"/> when null.</param>
    /// <param name="unanswered">Submissions that got no answer; <see cref="TestJobs.Unanswered"/> when null.</param>
    public Task<InvariantReport> CheckInvariantsAsync(IReadOnlyDictionary<Guid, JobRequest>? accepted = null, IReadOnlySet<Guid>? cancelled = null, int? unanswered = null) =>
        Invariants.CheckAsync(this, accepted ?? Jobs.Accepted, cancelled ?? Jobs.Cancelled, unanswered ?? Jobs.Unanswered);

    /// <summary>
    /// Waits until each of <paramref name="jobs"/> that is on record as accepted has ended; a job the node
    /// never recorded is not waited for (it cannot end). A job that does not end is added to <paramref name="problems"/>.
    /// </summary>
    /// <returns>The status each job on record ended with.</returns>
    internal async Task<Dictionary<Guid, JobReplies.JobStatus>> SettleAsync(IEnumerable<Guid> jobs, List<string> problems)
    {
        var recorded = JournalEvents(NodeJournal.Jobs).Select(e => e.Payload).OfType<JobEvents.JobAccepted>().Select(a => a.JobId).ToHashSet();
        var ended = new Dictionary<Guid, JobReplies.JobStatus>();
        foreach (var id in jobs.Where(recorded.Contains))
        {
            try
            {
                ended[id] = await Jobs.AwaitEndAsync(id);
            }
            catch (TimeoutException e)
            {
                problems.Add(e.Message);
            }
        }
        return ended;
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            await CrashAsync();
        }
        _results.Dispose();
        _index.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
