using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>The overlay port's real file access on plain directories: what configfs does that a file system also does (items are directories).</summary>
public class LinuxOverlayPortFileTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");

    [Fact]
    public void The_sweep_removes_this_ports_items_and_leaves_items_aimed_elsewhere()
    {
        using var root = new TempDirectory();
        var overlays = Directory.CreateDirectory(root.File("overlays")).FullName;
        Directory.CreateDirectory(Path.Combine(overlays, "dpr-fpga-full.pr-conv"));
        Directory.CreateDirectory(Path.Combine(overlays, "camera"));
        File.WriteAllBytes(Path.Combine(overlays, "camera", "dtbo"), LinuxOverlayPort.Overlay("/amba/camera", "camera.bin", partial: false));
        var port = new LinuxOverlayPort(PynqZ2, new LinuxOverlayOptions { OverlaysDirectory = overlays, FirmwareDirectory = root.File("firmware"), ManagerDirectory = null });

        var removed = port.RemoveStaleOverlays();

        Assert.Equal(["dpr-fpga-full.pr-conv"], removed);
        Assert.Equal(["camera"], Directory.GetDirectories(overlays).Select(Path.GetFileName));
    }

    [Fact]
    public void Without_the_overlays_directory_the_sweep_says_configfs_is_missing()
    {
        using var root = new TempDirectory();
        var port = new LinuxOverlayPort(PynqZ2, new LinuxOverlayOptions { OverlaysDirectory = root.File("no-configfs") });

        var e = Assert.Throws<ConfigurationPortException>(() => port.RemoveStaleOverlays());

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.Contains($"{root.File("no-configfs")} does not exist", e.Message);
    }
}
