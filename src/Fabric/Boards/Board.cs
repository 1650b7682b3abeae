using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Boards;

/// <summary>A board: its device, static design, configuration port, fabric clock, memory and partitions. Made by <see cref="BoardCatalog"/>, which validates it.</summary>
/// <param name="StaticImage">File name of the static design's full bitstream, looked up beside the module images; null if not shipped.</param>
/// <param name="RamBytes">The board's RAM, for everything the service runs (PYNQ-Z2: 512 MiB); null when the profile does not say.</param>
/// <param name="RequireSignedModules">Only modules signed by a trusted key may be served or loaded on this board (docs/modules.md).</param>
/// <param name="Hwicap">The AXI HWICAP core of the static design, for the <c>hwicap</c> port; null when it has none.</param>
/// <param name="FpgaRegion">The device-tree path of the base <c>fpga-region</c> a full image is loaded into by the <c>overlay</c> port (<c>/fpga-full</c> on PYNQ images); null when the profile does not say.</param>
/// <param name="Sem">Where the static design's SEM controller talks (its monitor interface); null when it has none.</param>
/// <param name="StaticId">The static design's ID/version register, read to tell it from another design in the PL (<see cref="StaticDesignCheck"/>); null when it has none.</param>
/// <param name="DevcfgAddress">The Zynq DEVCFG registers, whose CTRL register selects PCAP or ICAP (UG585: 0xF8007000).</param>
public sealed record Board(
    string Name,
    string Description,
    Device Device,
    IReadOnlyList<Partition> Partitions,
    string? StaticImage = null,
    PortKind Port = PortKind.Pcap,
    double FabricClockMHz = 100,
    MemoryRegion? Memory = null,
    long? RamBytes = null,
    bool RequireSignedModules = false,
    Hwicap? Hwicap = null,
    string? FpgaRegion = null,
    SemUart? Sem = null,
    ulong DevcfgAddress = Board.ZynqDevcfgAddress,
    StaticId? StaticId = null)
{
    /// <summary>DEVCFG's base address on every Zynq-7000 (UG585 Appendix B, "Device Configuration Interface (devcfg)").</summary>
    public const ulong ZynqDevcfgAddress = 0xF8007000;

    /// <summary>
    /// The static design's name, as a port is given it: <see cref="StaticImage"/> without its extension, or
    /// <c>{board}_static</c> (the name <c>dpr bitstream synth --full</c> gives) when the profile ships none.
    /// </summary>
    public string StaticDesign => StaticImage is { } image ? Path.GetFileNameWithoutExtension(image) : $"{Name}_static";

    public Partition Partition(string name) =>
        Partitions.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))
        ?? throw new BoardProfileException("partition", $"board '{Name}' has no partition '{name}'; it has {string.Join(", ", Partitions.Select(p => p.Name))}");

    /// <summary>The partition that owns a frame, or null for the static region.</summary>
    public Partition? PartitionOf(FrameAddress far) => Partitions.FirstOrDefault(p => p.Contains(far));

    /// <summary>How many configuration frames a partition owns.</summary>
    public int FrameCount(Partition partition)
    {
        var count = 0;
        foreach (var range in partition.Frames)
        {
            var row = Device.Rows.First(r => r.BlockType == range.BlockType && r.Bottom == range.Bottom && r.Row == range.Row);
            for (var c = range.FirstColumn; c <= range.LastColumn; c++)
            {
                count += row.ColumnFrames[c];
            }
        }
        return count;
    }

    /// <summary>Every configuration frame a partition owns, range by range.</summary>
    public IEnumerable<FrameAddress> FramesOf(Partition partition) =>
        from range in partition.Frames
        let row = Device.Rows.First(r => r.BlockType == range.BlockType && r.Bottom == range.Bottom && r.Row == range.Row)
        from column in Enumerable.Range(range.FirstColumn, range.LastColumn - range.FirstColumn + 1)
        from minor in Enumerable.Range(0, row.ColumnFrames[column])
        select row.Address(column, minor);
}
