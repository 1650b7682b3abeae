namespace Dpr.Fabric.Ports;

/// <summary>
/// Where images reach the device: on a board PCAP through the Linux fpga_manager (sysfs, or a
/// device-tree overlay on an fpga-region) or the AXI HWICAP over /dev/mem; or the simulated device. Nothing reaches a port without the loading verdict (<see cref="Boards.LoadVerdict"/>):
/// the Zynq kernel driver does not validate partials.
/// </summary>
public interface IConfigurationPort
{
    /// <summary>"simulated", "fpga-manager", "overlay", "hwicap": for logs and metrics.</summary>
    string Name { get; }

    /// <summary>
    /// Writes a full or partial image. Throws <see cref="ConfigurationPortException"/> when the write
    /// fails; <see cref="ConfigurationPortException.RegionStateUnknown"/> says whether any frame may
    /// have been written.
    /// </summary>
    /// <remarks>
    /// Writes are serialized by the port: concurrent callers (the region managers of partitions that
    /// share it) wait their turn. <paramref name="cancellationToken"/> covers that wait as well as the
    /// write; cancelled while still waiting, the write fails with <see cref="PortFailure.Timeout"/> and
    /// the region untouched (<see cref="ConfigurationPortException.RegionStateUnknown"/> false).
    /// </remarks>
    Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken);
}
