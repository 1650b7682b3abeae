using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>The overlay port against the simulated kernel: configfs items, the firmware directory and the device behind them.</summary>
public class LinuxOverlayPortTests
{
    private const string ConvRegion = "/fpga-full/pr-conv";
    private const string ConvItem = "dpr-fpga-full.pr-conv";

    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    private readonly FaultPlan _faults = new();
    private readonly SimulatedDevice _device = new(PynqZ2);
    private readonly SimulatedConfigfs _kernel;
    private readonly LinuxOverlayPort _port;

    public LinuxOverlayPortTests()
    {
        _kernel = new SimulatedConfigfs(_device, Path.Combine(Path.GetTempPath(), "dpr-fake-overlays"), _faults);
        _port = new LinuxOverlayPort(PynqZ2, _kernel.Options, _kernel, TimeProvider.System);
    }

    private static ConfigurationImage Partial(string module) =>
        new(module, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, module)));

    [Fact]
    public async Task A_partial_is_copied_as_the_bin_and_applied_as_an_overlay_on_its_partitions_region()
    {
        var image = Partial("conv3x3_int8");

        var result = await _port.WriteAsync(image, null, CancellationToken.None);

        Assert.Equal(BinConverter.ToBin(image.Bitstream), _kernel.Firmware("conv3x3_int8.bin"));
        Assert.Equal(new Dictionary<string, string> { [ConvItem] = "applied" }, _kernel.Items);
        Assert.Equal(new Dictionary<string, string> { [ConvRegion] = ConvItem }, _kernel.RegionOwners);
        Assert.Equal("conv3x3_int8", _device.ModuleIn(Conv));
        Assert.Equal(image.Bytes, result.Bytes);
        Assert.Equal("operating", _kernel.ManagerState);
    }

    [Fact]
    public async Task The_next_partial_replaces_the_overlay_the_region_holds()
    {
        await _port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);

        await _port.WriteAsync(Partial("conv5x5_int16"), null, CancellationToken.None);

        // The region takes one overlay at a time: without the removal the kernel would refuse the second.
        Assert.Equal(new Dictionary<string, string> { [ConvItem] = "applied" }, _kernel.Items);
        Assert.Equal("conv5x5_int16", _device.ModuleIn(Conv));
        Assert.Equal(2, _kernel.Applies);
    }

    [Fact]
    public async Task A_refused_overlay_fails_with_the_kernels_status_and_errno_and_leaves_the_region_as_it_was()
    {
        await _port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        _kernel.RefuseNext("Invalid argument");

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial("conv5x5_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.Refused, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains("the write failed: Invalid argument", e.Message);
        Assert.Contains("status is 'unapplied'", e.Message);
        Assert.Contains(ConvRegion, e.Message);
        // The unapplied item is gone; the fabric still holds what it held (the old overlay was removed, not its frames).
        Assert.Empty(_kernel.Items);
        Assert.Equal("conv3x3_int8", _device.ModuleIn(Conv));
    }

    [Fact]
    public async Task A_failed_programming_reports_the_managers_state_and_an_unknown_region()
    {
        _faults.OnNextWrite(SimulatedFault.PartialWrite);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.WriteFailed, e.Failure);
        Assert.True(e.RegionStateUnknown);
        Assert.Contains("fpga_manager state 'write error'", e.Message);
        Assert.Contains("Input/output error", e.Message);
        Assert.True(_device.IsCorrupt(Conv));
        Assert.Empty(_kernel.Items);
    }

    [Fact]
    public async Task A_missing_firmware_file_is_an_unavailable_port_with_the_region_untouched()
    {
        var port = new LinuxOverlayPort(PynqZ2, _kernel.Options with { FirmwareDirectory = "/elsewhere" }, new MisplacedFirmware(_kernel), TimeProvider.System);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains("firmware request error", e.Message);
        Assert.Null(_device.ModuleIn(Conv));
    }

    [Fact]
    public async Task Stale_overlays_on_the_boards_regions_are_removed_before_the_first_load_and_others_are_kept()
    {
        _kernel.Plant("dpr-fpga-full.pr-conv", LinuxOverlayPort.Overlay(ConvRegion, "old.bin", partial: true), applied: true);
        _kernel.Plant("pynq-pr", LinuxOverlayPort.Overlay(ConvRegion, "pynq.bin", partial: true), applied: false);
        _kernel.Plant("camera", LinuxOverlayPort.Overlay("/amba/camera", "camera.bin", partial: false), applied: true);

        await _port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);

        Assert.Equal(["dpr-fpga-full.pr-conv", "pynq-pr"], _port.StaleRemoved);
        Assert.Equal(new Dictionary<string, string> { ["camera"] = "applied", [ConvItem] = "applied" }, _kernel.Items);
        Assert.Equal("conv3x3_int8", _device.ModuleIn(Conv));
    }

    [Fact]
    public async Task A_stale_overlay_left_in_place_makes_the_kernel_refuse_the_load()
    {
        // What the sweep prevents: the region still holds an earlier run's overlay.
        _kernel.Plant("someone-else", LinuxOverlayPort.Overlay(ConvRegion, "old.bin", partial: true), applied: true);
        var port = new LinuxOverlayPort(PynqZ2, _kernel.Options with { ItemPrefix = "other-" }, new NoSweep(_kernel), TimeProvider.System);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.Refused, e.Failure);
        Assert.Contains("Invalid argument", e.Message);
        Assert.Null(_device.ModuleIn(Conv));
    }

    [Fact]
    public async Task A_full_image_goes_to_the_base_region_after_the_partials_overlays_are_removed()
    {
        await _port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        var full = new ConfigurationImage("static", BitstreamReader.Read(SyntheticBitstream.Full(PynqZ2, "static")));

        await _port.WriteAsync(full, null, CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { ["dpr-fpga-full"] = "applied" }, _kernel.Items);
        Assert.Equal("static", _device.StaticDesign);
        Assert.Null(_device.ModuleIn(Conv));
    }

    [Fact]
    public async Task Without_configfs_the_port_is_unavailable_and_says_what_to_mount()
    {
        _kernel.Mounted = false;

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.Contains("configfs mounted at /sys/kernel/config", e.Message);
        Assert.Null(_kernel.Firmware("conv3x3_int8.bin"));
    }

    [Fact]
    public async Task A_partition_without_an_fpga_region_in_the_profile_is_named()
    {
        var composable = BoardCatalog.Load("pynq-z2-composable");
        var image = new ConfigurationImage("subtract", BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract)));
        var port = new LinuxOverlayPort(composable, _kernel.Options, _kernel, TimeProvider.System);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(image, null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.Contains("partition 'pr_join' of board 'pynq-z2-composable' names no fpga-region", e.Message);
    }

    /// <summary>The kernel's files, but the firmware the port copies lands where the kernel does not look.</summary>
    private sealed class MisplacedFirmware(SimulatedConfigfs kernel) : ForwardingConfigfs(kernel)
    {
        public override void WriteFile(string path, ReadOnlySpan<byte> bytes)
        {
        }
    }

    /// <summary>The kernel's files with the foreign item hidden from the port's sweep.</summary>
    private sealed class NoSweep(SimulatedConfigfs kernel) : ForwardingConfigfs(kernel)
    {
        public override IReadOnlyList<string> Directories(string path) => [];
    }

    private abstract class ForwardingConfigfs(SimulatedConfigfs kernel) : IConfigfsAccess
    {
        private readonly IConfigfsAccess _kernel = kernel;

        public bool DirectoryExists(string path) => _kernel.DirectoryExists(path);

        public virtual IReadOnlyList<string> Directories(string path) => _kernel.Directories(path);

        public void CreateDirectory(string path) => _kernel.CreateDirectory(path);

        public void RemoveDirectory(string path) => _kernel.RemoveDirectory(path);

        public string ReadText(string path) => _kernel.ReadText(path);

        public byte[] ReadBytes(string path) => _kernel.ReadBytes(path);

        public void WriteAttribute(string path, ReadOnlySpan<byte> bytes) => _kernel.WriteAttribute(path, bytes);

        public virtual void WriteFile(string path, ReadOnlySpan<byte> bytes) => _kernel.WriteFile(path, bytes);
    }
}
