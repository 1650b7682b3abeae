namespace Dpr.Fabric.Ports;

/// <summary>
/// Where <see cref="LinuxOverlayPort"/> finds the kernel's interface. The defaults are a board's with
/// configfs mounted at <c>/sys/kernel/config</c>; tests point them at a fake tree.
/// </summary>
public sealed record LinuxOverlayOptions
{
    /// <summary>The device-tree overlay items of configfs (<c>CONFIG_OF_OVERLAY</c> with the overlay configfs interface, as PYNQ and dfx-mgr use it).</summary>
    public string OverlaysDirectory { get; init; } = "/sys/kernel/config/device-tree/overlays";

    /// <summary>Where images are copied so the kernel's <c>request_firmware</c> finds them by their <c>firmware-name</c>.</summary>
    public string FirmwareDirectory { get; init; } = "/lib/firmware";

    /// <summary>
    /// The fpga_manager whose <c>state</c> tells which step of a failed load failed (the region's
    /// manager; <c>fpga0</c> is the Zynq PCAP). Optional: without it the kernel's errno alone is reported.
    /// </summary>
    public string? ManagerDirectory { get; init; } = "/sys/class/fpga_manager/fpga0";

    /// <summary>The prefix of the overlay items this port makes: an item with it left from an earlier run is stale.</summary>
    public string ItemPrefix { get; init; } = "dpr-";
}
