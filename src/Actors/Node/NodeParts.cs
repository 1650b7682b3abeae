using Dpr.Actors.Jobs;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;

namespace Dpr.Actors.Node;

/// <summary>
/// What a node is made of before its actors start: the board and its catalog, the configuration port
/// (taking its turns with the SEM controller), the memory the DMA buffers are cut from, the SEM controller
/// on its monitor line, and the stores of inputs, results and finished jobs.
/// </summary>
/// <param name="Buffers">The DMA memory, shared equally by the partitions that host modules.</param>
public sealed record NodeParts(
    Board Board,
    ModuleCatalog Catalog,
    IConfigurationPort Port,
    IPhysicalMemory Memory,
    MemoryRegion Buffers,
    SemController Sem,
    IBlobStore Blobs,
    IResultStore Results,
    IJobIndex Index);
