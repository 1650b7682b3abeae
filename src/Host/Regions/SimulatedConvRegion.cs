using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Host.Regions;

/// <summary>
/// The partition the crash test and <c>dpr bench regions</c> drive: the simulated pynq-z2's "conv"
/// partition with the six synthetic convolution modules, behind a PCAP port that either sleeps for
/// the modelled transfer (real time) or only reports it.
/// </summary>
internal sealed class SimulatedConvRegion
{
    public const string BoardName = "pynq-z2";

    public const string PartitionName = "conv";

    public static readonly string PersistenceId = RegionManagerActor.PersistenceIdFor(BoardName, PartitionName);

    /// <param name="semTurns">Whether every write takes its turn with the board's SEM controller (over its simulated UART), as in <c>dpr serve</c>.</param>
    public SimulatedConvRegion(ModuleCatalog catalog, bool realTime, bool semTurns = false)
    {
        Catalog = catalog;
        var board = catalog.Board;
        Board = new SimulatedBoard(board, new SimulatedBoardOptions(
            Port: SimulatedPortOptions.Pcap with { RealTime = realTime },
            DdrBytes: 4 << 20,
            KernelThreads: 1));
        IConfigurationPort port = Board.Port;
        if (semTurns)
        {
            var sem = new SemController(UartLiteLink.Open(Board, Board.SemUart.BaseAddress), board.Device);
            sem.RequestStatus();
            sem.Poll();
            Turns = new SemTurns(sem, DevcfgControl.Open(Board, board.DevcfgAddress));
            port = new SemTurnPort(port, Turns);
        }
        Hardware = new PartitionHardware(board, board.Partition(PartitionName), port, Board, new MemoryRegion(Board.Ddr.BaseAddress, (ulong)Board.Ddr.Length));
    }

    /// <summary>The SEM turns every write takes; null without them.</summary>
    public SemTurns? Turns { get; }

    public ModuleCatalog Catalog { get; }

    public SimulatedBoard Board { get; }

    public PartitionHardware Hardware { get; }

    /// <summary>The modules this partition can hold, in catalog order.</summary>
    public IReadOnlyList<string> Modules => [.. Catalog.Modules.Where(m => m.Partition.Name == PartitionName).Select(m => m.Name)];

    /// <summary>
    /// The synthetic catalog in <paramref name="directory"/>, written first if missing. It is written
    /// beside the target and moved into place, so a process killed while writing it never leaves a
    /// half-written catalog for the next start.
    /// </summary>
    public static ModuleCatalog LoadCatalog(string directory)
    {
        var board = BoardCatalog.Load(BoardName);
        if (!Directory.Exists(directory))
        {
            var staging = $"{directory}.staging-{Environment.ProcessId}";
            ModuleCatalog.WriteSynthetic(board, staging);
            try
            {
                Directory.Move(staging, directory);
            }
            catch (IOException) when (Directory.Exists(directory))
            {
                // Another process won the race; its catalog is the same.
                Directory.Delete(staging, recursive: true);
            }
        }
        return ModuleCatalog.Load(directory, board);
    }

    public Props Props(RegionOptions options) =>
        RegionManagerActor.Props(BoardName, Hardware, Catalog, options, TimeProvider.System);

    /// <summary>An actor system with the real journals and dpr's serializer.</summary>
    public static ActorSystem StartSystem(string name, JournalSettings journal, string logLevel = "WARNING") =>
        journal.CreateSystem(name, ConfigurationFactory.ParseString($"akka.loglevel = {logLevel}"));

    /// <summary>The region manager's options when it runs on the real journals: its own journal plugin.</summary>
    public static RegionOptions JournaledOptions { get; } = new(JournalPluginId: JournalSettings.RegionsJournal, SnapshotPluginId: JournalSettings.RegionsSnapshots);
}
