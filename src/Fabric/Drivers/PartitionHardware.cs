using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// The hardware steps of one partition's swap, in the order they must happen: decouple, invalidate
/// the drivers bound so far, write the partial through the port, recouple, bind the new module's
/// driver. Owned by the partition's region manager, which is the only caller, so swaps never overlap.
/// </summary>
public sealed class PartitionHardware
{
    private readonly IConfigurationPort _port;
    private readonly IPhysicalMemory _memory;
    private readonly DecouplerControl? _decoupler;

    public PartitionHardware(Board board, Partition partition, IConfigurationPort port, IPhysicalMemory memory, MemoryRegion buffers)
    {
        Board = board;
        Partition = partition;
        _port = port;
        _memory = memory;
        Buffers = buffers;
        Binding = new RegionBinding(partition.Name);
        _decoupler = partition.Decoupler is { } d ? new DecouplerControl(memory.Map(d.RegisterAddress, 4), d) : null;
    }

    public Board Board { get; }

    public Partition Partition { get; }

    public RegionBinding Binding { get; }

    /// <summary>This partition's slice of the DMA buffer memory.</summary>
    public MemoryRegion Buffers { get; }

    public bool IsDecoupled => _decoupler?.IsDecoupled ?? false;

    /// <summary>
    /// Writes <paramref name="module"/> into the partition and binds its driver (null for modules
    /// dpr does not drive). On a port failure the partition stays decoupled if its frames may have
    /// been written, and is recoupled if nothing was; the exception propagates either way.
    /// </summary>
    public async Task<(PortWriteResult Write, ConvDriver? Driver)> SwapAsync(ModuleEntry module, CancellationToken cancellationToken)
    {
        _decoupler?.Decouple();
        Binding.Invalidate();
        PortWriteResult write;
        try
        {
            write = await _port.WriteAsync(new ConfigurationImage(module.Name, module.Image), null, cancellationToken);
        }
        catch (ConfigurationPortException e) when (!e.RegionStateUnknown)
        {
            _decoupler?.Recouple();
            throw;
        }
        _decoupler?.Recouple();
        return (write, Bind(module));
    }

    /// <summary>Binds a driver to a module the partition already holds (after a restart); throws <see cref="DriverException"/> if it does not answer as that module.</summary>
    public ConvDriver? Bind(ModuleEntry module)
    {
        if (module.Convolution is not { } conv)
        {
            Binding.Bind(module.Name);
            return null;
        }
        return ConvDriver.Bind(Binding, Board, Partition, conv, _memory, Buffers, module.RegisterAddress);
    }
}
