using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// The embedded default: a whole board in process. A simulated device behind a simulated port,
/// DDR, and per partition its decoupler register, its AXI DMA and a convolution module that answers
/// whenever the device holds one there. It is the <see cref="IPhysicalMemory"/> drivers map, so
/// the same driver code runs here and on a board.
/// </summary>
public sealed class SimulatedBoard : IPhysicalMemory
{
    private readonly List<IMemoryWindow> _windows = [];

    public SimulatedBoard(Board board, SimulatedBoardOptions? options = null)
    {
        options ??= new SimulatedBoardOptions();
        Board = board;
        Device = new SimulatedDevice(board);
        Port = new SimulatedPort(Device, options.Port ?? SimulatedPortOptions.For(board.Port), options.Faults);
        var memory = board.Memory ?? new MemoryRegion(0x10000000, (ulong)options.DdrBytes);
        Ddr = new InMemoryWindow(memory.Base, (long)Math.Min(memory.Size, (ulong)options.DdrBytes));
        _windows.Add(Ddr);
        var kernel = new ConvKernel(options.KernelThreads);
        foreach (var partition in board.Partitions)
        {
            SimulatedDecouplers? decouplers = null;
            if (partition.Decoupler is { } d)
            {
                var page = d.RegisterAddress & ~0xFFFul;
                decouplers = _windows.OfType<SimulatedDecouplers>().FirstOrDefault(w => w.BaseAddress == page);
                if (decouplers is null)
                {
                    _windows.Add(decouplers = new SimulatedDecouplers(page));
                }
            }
            if (partition.DmaAddress is not { } dmaAddress || partition.ModuleSpan == 0)
            {
                continue;
            }
            var dma = new SimulatedAxiDma(dmaAddress, Ddr);
            _windows.Add(dma);
            var decoupled = decouplers is null ? () => false : (Func<bool>)(() => decouplers.IsSet(partition.Decoupler!.RegisterAddress, partition.Decoupler.Mask));
            _windows.Add(new SimulatedConvModule(Device, partition, dma, decoupled, kernel, options.Throughput ?? ModuleThroughput.Paper));
        }
    }

    public Board Board { get; }

    public SimulatedDevice Device { get; }

    public SimulatedPort Port { get; }

    public InMemoryWindow Ddr { get; }

    public IMemoryWindow Map(ulong address, long length) =>
        _windows.FirstOrDefault(w => address >= w.BaseAddress && address + (ulong)length <= w.BaseAddress + (ulong)w.Length)
        ?? throw new MmioException(address, $"nothing is mapped for {length} bytes there on the simulated {Board.Name}");
}
