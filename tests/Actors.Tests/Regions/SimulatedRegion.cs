using Akka.Actor;
using Dpr.Actors.Regions;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Actors.Tests.Regions;

/// <summary>A pynq-z2 simulated board with the six synthetic convolution modules, and a region manager for its partition.</summary>
public sealed class SimulatedRegion
{
    public static Board PynqZ2 { get; } = BoardCatalog.Load("pynq-z2");

    private static readonly Lazy<string> CatalogDirectory = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dpr-actors-catalog-{Environment.ProcessId}");
        ModuleCatalog.WriteSynthetic(PynqZ2, dir);
        return dir;
    });

    public static ModuleCatalog Catalog { get; } = ModuleCatalog.Load(CatalogDirectory.Value, PynqZ2);

    /// <param name="port">Another port over the board (its overlay or HWICAP port) instead of the simulated one.</param>
    /// <param name="boardPort">The port in front of the board's, made from the board (its SEM line and DEVCFG), after <paramref name="wrapPort"/>.</param>
    public SimulatedRegion(FaultPlan? faults = null, Func<IConfigurationPort, IConfigurationPort>? wrapPort = null, Func<SimulatedBoard, IConfigurationPort>? port = null, Func<SimulatedBoard, IConfigurationPort, IConfigurationPort>? boardPort = null)
    {
        Board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(Faults: faults, DdrBytes: 4 << 20, KernelThreads: 1));
        var simulated = port?.Invoke(Board) ?? Board.Port;
        Port = wrapPort?.Invoke(simulated) ?? simulated;
        Port = boardPort?.Invoke(Board, Port) ?? Port;
        Hardware = new PartitionHardware(PynqZ2, Partition, Port, Board, new MemoryRegion(Board.Ddr.BaseAddress, (ulong)Board.Ddr.Length));
    }

    public static Partition Partition => PynqZ2.Partition("conv");

    public SimulatedBoard Board { get; }

    public IConfigurationPort Port { get; }

    public PartitionHardware Hardware { get; }

    /// <param name="catalog">Another catalog of the pynq-z2 board than the shared synthetic one.</param>
    public Props Props(RegionOptions? options = null, TimeProvider? time = null, ModuleCatalog? catalog = null) =>
        RegionManagerActor.Props("pynq-z2", Hardware, catalog ?? Catalog, options ?? new RegionOptions(RetryBackoff: TimeSpan.FromMilliseconds(20), SwapTimeout: TimeSpan.FromSeconds(1)), time ?? TimeProvider.System);
}
