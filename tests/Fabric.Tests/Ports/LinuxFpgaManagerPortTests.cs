using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

public class LinuxFpgaManagerPortTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "dpr-fake-board");

    private readonly ManualTimeProvider _time = new();
    private readonly FakeFpgaManager _kernel;
    private readonly LinuxFpgaManagerPort _port;

    public LinuxFpgaManagerPortTests()
    {
        _kernel = new FakeFpgaManager(_time, Root);
        _port = new LinuxFpgaManagerPort(_kernel.Options, _kernel, _time);
    }

    private static ConfigurationImage Partial() =>
        new("pr_join_subtract", BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract)));

    private static ConfigurationImage Full() =>
        new("cv_dfx_4_pr", BitstreamReader.Read(Fixtures.Bytes(Fixtures.FullStatic)));

    private static ConfigurationImage Image(string name, string fixture) =>
        new(name, BitstreamReader.Read(Fixtures.Bytes(fixture)));

    [Fact]
    public async Task A_partial_is_copied_as_the_pynq_bin_flagged_partial_and_programmed()
    {
        var image = Partial();
        var expected = BinConverter.ToBin(image.Bitstream);
        var progress = new RecordingProgress();

        var result = await _port.WriteAsync(image, progress, CancellationToken.None);

        Assert.Equal("1", _kernel.Flags);
        Assert.Equal(expected, _kernel.Firmware("pr_join_subtract.bin"));
        var programmed = Assert.Single(_kernel.Programmed);
        Assert.Equal(expected, programmed.Image);
        Assert.True(programmed.Partial);
        Assert.Equal("operating", _kernel.State);
        Assert.Equal(new PortWriteResult(TimeSpan.FromMilliseconds(1.25), expected.Length), result);
        Assert.Equal([new PortProgress(0, expected.Length), new PortProgress(expected.Length, expected.Length)], progress.Reports);
    }

    [Fact]
    public async Task A_full_image_is_flagged_full_and_carries_the_swapped_sync_word_the_zynq_driver_looks_for()
    {
        var image = Full();
        _kernel.ProgrammingTime = TimeSpan.FromMilliseconds(830);

        var result = await _port.WriteAsync(image, null, CancellationToken.None);

        Assert.Equal("0", _kernel.Flags);
        var programmed = Assert.Single(_kernel.Programmed);
        Assert.False(programmed.Partial);
        Assert.Equal(BinConverter.ToBin(image.Bitstream), _kernel.Firmware("cv_dfx_4_pr.bin"));
        Assert.Equal(TimeSpan.FromMilliseconds(830), result.Duration);
        Assert.Equal(image.Bytes, result.Bytes);
    }

    [Theory]
    [InlineData("flags")]
    [InlineData("firmware")]
    [InlineData("state")]
    public async Task A_missing_sysfs_node_makes_the_port_unavailable_and_nothing_is_written(string node)
    {
        _kernel.Remove(node);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains(Path.Combine(_kernel.Options.ManagerDirectory, node), e.Message);
        Assert.Empty(_kernel.FirmwareFiles);
        Assert.Empty(_kernel.Programmed);
    }

    [Theory]
    [InlineData("flags")]
    [InlineData("firmware")]
    public async Task Permission_denied_makes_the_port_unavailable_before_the_device_is_touched(string node)
    {
        _kernel.DenyWrites(Path.Combine(_kernel.Options.ManagerDirectory, node));

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.IsType<UnauthorizedAccessException>(e.InnerException);
        Assert.Empty(_kernel.Programmed);
        Assert.Equal("operating", _kernel.State);
    }

    [Fact]
    public async Task A_firmware_directory_the_kernel_cannot_write_to_makes_the_port_unavailable()
    {
        _kernel.DenyWrites(Path.Combine(_kernel.Options.FirmwareDirectory, "pr_join_subtract.bin"));

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.Contains("pr_join_subtract.bin", e.Message);
        Assert.Equal("0", _kernel.Flags);
    }

    [Fact]
    public async Task A_kernel_write_error_fails_the_write_and_leaves_the_region_unknown()
    {
        _kernel.Fault = FakeKernelFault.WriteError;

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, CancellationToken.None));

        Assert.Equal(PortFailure.WriteFailed, e.Failure);
        Assert.True(e.RegionStateUnknown);
        Assert.Contains("'write error'", e.Message);
        Assert.IsType<IOException>(e.InnerException);
    }

    [Theory]
    [InlineData(FakeKernelFault.WriteInitError, PortFailure.Refused, false, "write init error")]
    [InlineData(FakeKernelFault.WriteCompleteError, PortFailure.WriteFailed, true, "write complete error")]
    public async Task An_error_state_maps_to_its_failure(FakeKernelFault fault, PortFailure failure, bool unknown, string state)
    {
        _kernel.Fault = fault;

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, CancellationToken.None));

        Assert.Equal(state, _kernel.State);
        Assert.Equal(failure, e.Failure);
        Assert.Equal(unknown, e.RegionStateUnknown);
        Assert.Contains($"'{state}'", e.Message);
    }

    [Fact]
    public async Task A_firmware_directory_off_the_kernel_search_path_is_a_configuration_problem()
    {
        _kernel.KernelFirmwareDirectory = Path.Combine(Root, "elsewhere");

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, CancellationToken.None));

        Assert.Equal("firmware request error", _kernel.State);
        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Empty(_kernel.Programmed);
    }

    [Theory]
    [InlineData("write init error", true, PortFailure.Refused, false)]
    [InlineData("write init error", false, PortFailure.WriteFailed, true)]
    [InlineData("write error", true, PortFailure.WriteFailed, true)]
    [InlineData("write complete error", false, PortFailure.WriteFailed, true)]
    [InlineData("firmware request error", true, PortFailure.Unavailable, false)]
    [InlineData("unknown", true, PortFailure.WriteFailed, true)]
    [InlineData("power off", true, PortFailure.WriteFailed, true)]
    [InlineData(null, true, PortFailure.WriteFailed, true)]
    public void Every_kernel_state_has_a_failure(string? state, bool partial, PortFailure failure, bool unknown)
    {
        var (actual, actualUnknown, _) = LinuxFpgaManagerPort.Classify(state, partial);

        Assert.Equal((failure, unknown), (actual, actualUnknown));
    }

    [Fact]
    public async Task Cancelling_before_the_write_leaves_everything_untouched()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(Partial(), null, cancelled.Token));

        Assert.Equal(PortFailure.Timeout, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.IsType<OperationCanceledException>(e.InnerException);
        Assert.Empty(_kernel.FirmwareFiles);
        Assert.Equal("0", _kernel.Flags);
        Assert.Empty(_kernel.Programmed);
    }

    [Fact]
    public async Task Two_partitions_swapping_at_once_reach_the_kernel_one_write_at_a_time()
    {
        // pr_join and pr_0 of the composable overlay, each swapping back and forth through the one manager.
        ConfigurationImage[] images =
        [
            Image("pr_join_subtract", Fixtures.JoinSubtract), Image("pr_0_dilate_erode", Fixtures.Pr0DilateErode),
            Image("pr_join_absdiff", Fixtures.JoinAbsdiff), Image("pr_0_dilate_erode", Fixtures.Pr0DilateErode),
            Image("pr_join_subtract", Fixtures.JoinSubtract), Image("pr_0_dilate_erode", Fixtures.Pr0DilateErode),
        ];
        var bins = images.DistinctBy(i => i.Name).ToDictionary(i => i.Name + ".bin", i => BinConverter.ToBin(i.Bitstream));
        _kernel.HoldLoads = true;

        var writes = images.Select(i => _port.WriteAsync(i, null, CancellationToken.None)).ToArray();
        // Until every write is at the kernel or waiting for the port: without the port's lock all of
        // them reach the kernel (each load is held there); with it one does and the others wait.
        while (_kernel.WritersInFlight + _port.WritesWaiting < writes.Length)
        {
            await _kernel.NextWriterAsync();
        }
        var settled = (_kernel.WritersInFlight, _port.WritesWaiting);
        _kernel.Proceed(writes.Length);
        var results = await Task.WhenAll(writes);

        Assert.Equal((1, writes.Length - 1), settled);
        Assert.Equal(1, _kernel.MostWritersInFlight);
        // Each write loaded its own file with its own flags, and its duration is its own load's alone.
        Assert.Equal(images.Select(i => i.Name + ".bin").Order(), _kernel.Programmed.Select(p => p.Name).Order());
        Assert.All(_kernel.Programmed, p =>
        {
            Assert.Equal(bins[p.Name], p.Image);
            Assert.True(p.Partial);
        });
        Assert.Equal(images.Select(i => new PortWriteResult(TimeSpan.FromMilliseconds(1.25), bins[i.Name + ".bin"].Length)), results);
        Assert.Equal(("operating", "1"), (_kernel.State, _kernel.Flags));
    }

    [Fact]
    public async Task A_write_cancelled_while_it_waits_for_the_port_writes_nothing_and_the_write_under_way_completes()
    {
        _kernel.HoldLoads = true;
        var first = _port.WriteAsync(Partial(), null, CancellationToken.None);
        using var timeout = new CancellationTokenSource();
        var second = _port.WriteAsync(Image("pr_0_dilate_erode", Fixtures.Pr0DilateErode), null, timeout.Token);
        var waiting = _port.WritesWaiting;

        await timeout.CancelAsync();
        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => second);
        _kernel.Proceed(1);
        var result = await first;

        Assert.Equal(1, waiting);
        Assert.Equal(PortFailure.Timeout, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains("waited for the port", e.Message);
        Assert.IsAssignableFrom<OperationCanceledException>(e.InnerException);
        Assert.Null(_kernel.Firmware("pr_0_dilate_erode.bin"));
        Assert.Equal("pr_join_subtract.bin", Assert.Single(_kernel.Programmed).Name);
        Assert.Equal(TimeSpan.FromMilliseconds(1.25), result.Duration);
        Assert.Equal(0, _port.WritesWaiting);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("")]
    public async Task A_name_that_is_not_a_plain_file_name_is_refused(string name)
    {
        var image = Partial() with { Name = name };

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => _port.WriteAsync(image, null, CancellationToken.None));

        Assert.Equal(PortFailure.Refused, e.Failure);
        Assert.Empty(_kernel.FirmwareFiles);
    }
}
