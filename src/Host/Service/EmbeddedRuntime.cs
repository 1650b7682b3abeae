using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Actors.Sem;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Host.Service;

/// <summary>
/// The embedded default put together: a simulated board, its synthetic module catalog, the journals,
/// one supervised region manager per partition, the SEM monitor, the job intake, the scheduler's
/// dispatcher, the result and blob stores — all under one data directory.
/// </summary>
public sealed class EmbeddedRuntime : IDisposable
{
    private EmbeddedRuntime(
        ActorSystem system, Board board, SimulatedBoard simulated, ModuleCatalog catalog, IReadOnlyDictionary<string, IActorRef> regions,
        IActorRef intake, IActorRef dispatcher, ResultStore results)
    {
        System = system;
        Board = board;
        Simulated = simulated;
        Catalog = catalog;
        Regions = regions;
        Intake = intake;
        Dispatcher = dispatcher;
        Results = results;
    }

    public ActorSystem System { get; }

    public Board Board { get; }

    public SimulatedBoard Simulated { get; }

    public ModuleCatalog Catalog { get; }

    public IReadOnlyDictionary<string, IActorRef> Regions { get; }

    public IActorRef Intake { get; }

    public IActorRef Dispatcher { get; }

    public ResultStore Results { get; }

    /// <param name="realTime">The simulated port and modules take their modelled time (a demo to watch), or only report it.</param>
    public static EmbeddedRuntime Start(string dataDirectory, string boardName = "pynq-z2", bool realTime = false)
    {
        var board = BoardCatalog.Load(boardName);
        var modules = Path.Combine(dataDirectory, "modules");
        if (!Directory.Exists(modules) || Directory.GetFiles(modules, "*" + ModuleCatalog.ManifestSuffix).Length == 0)
        {
            ModuleCatalog.WriteSynthetic(board, modules);
        }
        var catalog = ModuleCatalog.Load(modules, board);
        var journal = JournalSettings.Sqlite(Path.Combine(dataDirectory, "dpr.db"));
        var system = journal.CreateSystem("dpr", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var port = (realTime ? SimulatedPortOptions.For(board.Port) with { RealTime = true } : SimulatedPortOptions.For(board.Port));
        var simulated = new SimulatedBoard(board, new SimulatedBoardOptions(Port: port));
        var memory = board.Memory ?? new MemoryRegion(simulated.Ddr.BaseAddress, (ulong)simulated.Ddr.Length);
        var hosted = board.Partitions.Where(p => catalog.Modules.Any(m => m.Partition == p)).ToList();
        var slice = (ulong)simulated.Ddr.Length / (ulong)Math.Max(1, hosted.Count);
        var regions = hosted.Select((partition, i) =>
        {
            var hardware = new PartitionHardware(board, partition, simulated.Port, simulated, new MemoryRegion(memory.Base + ((ulong)i * slice), slice));
            var manager = RegionManagerActor.Props(board.Name, hardware, catalog, new RegionOptions(JournalPluginId: JournalSettings.RegionsJournal), TimeProvider.System);
            // A region manager that stops (its journal failed) comes back from its journal.
            var supervised = BackoffSupervisor.Props(Backoff.OnStop(manager, "manager", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.2, -1));
            return (partition.Name, Ref: system.ActorOf(supervised, RegionManagerActor.PersistenceIdFor(board.Name, partition.Name)));
        }).ToDictionary(r => r.Name, r => r.Ref);
        var monitor = system.ActorOf(SemMonitorActor.Props(board, regions), "sem");
        simulated.SemOutput += lines => monitor.Tell(new SemMonitorActor.Lines(lines));

        var blobs = new BlobStore(Path.Combine(dataDirectory, "blobs"));
        var results = new ResultStore(Path.Combine(dataDirectory, "results"), TimeSpan.FromDays(7));
        var intake = system.ActorOf(JobIntakeActor.Props(board.Name, new JobIntakeOptions(Blobs: blobs), TimeProvider.System, null), $"jobs-{board.Name}");
        var dispatcher = system.ActorOf(
            JobDispatcherActor.Props(intake, regions, catalog, new JobScheduler(new SchedulerOptions()), results, new ConvKernel(), TimeProvider.System, blobs),
            "dispatcher");
        intake.Tell(new JobIntakeActor.Subscribe(dispatcher));
        return new EmbeddedRuntime(system, board, simulated, catalog, regions, intake, dispatcher, results);
    }

    public void Dispose()
    {
        System.Terminate().Wait(TimeSpan.FromSeconds(10));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
