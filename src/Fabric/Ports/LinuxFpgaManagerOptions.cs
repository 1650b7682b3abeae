namespace Dpr.Fabric.Ports;

/// <summary>
/// Where <see cref="LinuxFpgaManagerPort"/> finds the kernel's interface. The defaults are the board's;
/// tests point them at a fake tree.
/// </summary>
public sealed record LinuxFpgaManagerOptions
{
    /// <summary>The fpga_manager class directory (sysfs).</summary>
    public string ClassDirectory { get; init; } = "/sys/class/fpga_manager";

    /// <summary>The manager instance: <c>fpga0</c> is the Zynq PCAP on a PYNQ board.</summary>
    public string Manager { get; init; } = "fpga0";

    /// <summary>
    /// Where images are copied so the kernel's <c>request_firmware</c> finds them by name: the
    /// default search path, as PYNQ uses it (FORMAT-NOTES §10).
    /// </summary>
    public string FirmwareDirectory { get; init; } = "/lib/firmware";

    public string ManagerDirectory => Path.Combine(ClassDirectory, Manager);
}
