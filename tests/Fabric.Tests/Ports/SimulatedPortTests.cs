using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

public class SimulatedPortTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");
    private static readonly Board Composable = BoardCatalog.Load("pynq-z2-composable");

    private static ConfigurationImage Real(string name, string fixture) => new(name, BitstreamReader.Read(Fixtures.Bytes(fixture)));

    private static ConfigurationImage Partial(string module) =>
        new(module, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, module)));

    private static ConfigurationImage Static() => new("static", BitstreamReader.Read(SyntheticBitstream.Full(PynqZ2, "static")));

    [Fact]
    public async Task Partial_write_loads_the_module_in_the_modelled_time()
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap);
        var image = Partial("conv3x3_int8");
        var progress = new List<PortProgress>();

        var result = await port.WriteAsync(image, new SynchronousProgress(progress.Add), CancellationToken.None);

        Assert.Equal("conv3x3_int8", device.ModuleIn(Conv));
        Assert.Equal(image.Bytes, result.Bytes);
        Assert.Equal(TimeSpan.FromMilliseconds(0.5) + TimeSpan.FromSeconds(image.Bytes / 145e6), result.Duration);
        Assert.Equal([0, image.Bytes], progress.Select(p => p.BytesWritten));
    }

    [Fact]
    public async Task Full_load_wipes_every_partition()
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Icap);
        await port.WriteAsync(Partial("conv5x5_int8"), null, CancellationToken.None);

        var full = await port.WriteAsync(Static(), null, CancellationToken.None);

        Assert.Null(device.ModuleIn(Conv));
        Assert.Equal("static", device.StaticDesign);
        Assert.False(device.IsCorrupt(Conv));
        // ICAP: 400 MB/s; the 4 MB image takes about 10 ms.
        Assert.InRange(full.Duration.TotalMilliseconds, 10, 10.2);
    }

    [Fact]
    public async Task Wrong_device_is_refused_and_nothing_changes()
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap);
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() =>
            port.WriteAsync(new ConfigurationImage("zybo", BitstreamReader.Read(Fixtures.Bytes(Fixtures.Zybo))), null, CancellationToken.None));

        Assert.Equal(PortFailure.Refused, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Equal("conv3x3_int8", device.ModuleIn(Conv));
    }

    [Theory]
    [InlineData(SimulatedFault.Fail, PortFailure.Refused, false, "conv3x3_int8")]
    [InlineData(SimulatedFault.PartialWrite, PortFailure.WriteFailed, true, null)]
    [InlineData(SimulatedFault.Corrupt, PortFailure.CrcError, true, null)]
    public async Task Scripted_faults(SimulatedFault fault, PortFailure failure, bool unknown, string? moduleAfter)
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap, new FaultPlan().OnWrite(2, fault));
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(Partial("conv5x5_int32"), null, CancellationToken.None));

        Assert.Equal((failure, unknown), (e.Failure, e.RegionStateUnknown));
        Assert.Equal(moduleAfter, device.ModuleIn(Conv));
        Assert.Equal(unknown, device.IsCorrupt(Conv));
        // The next write succeeds and repairs the partition.
        await port.WriteAsync(Partial("conv5x5_int32"), null, CancellationToken.None);
        Assert.Equal("conv5x5_int32", device.ModuleIn(Conv));
    }

    [Fact]
    public async Task Hang_ends_with_the_callers_cancellation_and_an_unknown_region()
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap, new FaultPlan().OnModule("conv3x3_int16", SimulatedFault.Hang));
        using var cts = new CancellationTokenSource();

        var write = port.WriteAsync(Partial("conv3x3_int16"), null, cts.Token);
        Assert.False(write.IsCompleted);
        await cts.CancelAsync();
        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => write);

        Assert.Equal(PortFailure.Timeout, e.Failure);
        Assert.True(e.RegionStateUnknown);
        Assert.True(device.IsCorrupt(Conv));
    }

    [Fact]
    public async Task A_bounded_hang_stalls_the_write_and_then_it_completes()
    {
        var time = new HeldTimeProvider();
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap, new FaultPlan().OnNextWrite(SimulatedFault.Hang, TimeSpan.FromSeconds(30)), time);

        var write = port.WriteAsync(Partial("conv3x3_int16"), null, CancellationToken.None);
        await time.WhenArmed;
        Assert.False(write.IsCompleted);
        time.FireAll();
        await write;

        Assert.Equal("conv3x3_int16", device.ModuleIn(Conv));
        // The hang was for one write: the next is not held.
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        Assert.Equal(0, time.Armed);
    }

    [Fact]
    public async Task A_bounded_hang_cancelled_by_the_caller_is_a_timeout_with_an_unknown_region()
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap, new FaultPlan().OnNextWrite(SimulatedFault.Hang, TimeSpan.FromHours(1)));
        using var cts = new CancellationTokenSource();

        var write = port.WriteAsync(Partial("conv3x3_int16"), null, cts.Token);
        await cts.CancelAsync();
        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => write);

        Assert.Equal((PortFailure.Timeout, true), (e.Failure, e.RegionStateUnknown));
        Assert.True(device.IsCorrupt(Conv));
    }

    [Fact]
    public async Task Image_with_a_bad_crc_is_a_device_crc_error()
    {
        var bytes = SyntheticBitstream.Partial(PynqZ2, Conv, "conv3x3_int8");
        bytes[^200] ^= 4;
        var port = new SimulatedPort(new SimulatedDevice(PynqZ2), SimulatedPortOptions.Pcap);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() =>
            port.WriteAsync(new ConfigurationImage("bad", BitstreamReader.Read(bytes)), null, CancellationToken.None));

        Assert.Equal(PortFailure.CrcError, e.Failure);
    }

    [Fact]
    public async Task Upsets_corrupt_a_partition_until_it_is_rewritten_or_scrubbed()
    {
        var device = new SimulatedDevice(PynqZ2);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap);
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        var frame = PynqZ2.FramesOf(Conv).Skip(10).First();

        device.InjectUpset(frame, 7, 31);

        Assert.Equal([(frame, 7, 31)], device.Upsets);
        Assert.True(device.IsCorrupt(Conv));
        Assert.Null(device.ModuleIn(Conv));
        device.Scrub(frame);
        Assert.Equal("conv3x3_int8", device.ModuleIn(Conv));

        device.InjectUpset(frame, 0, 0);
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        Assert.Empty(device.Upsets);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.InjectUpset(frame, 101, 0));
    }

    [Fact]
    public async Task Random_faults_repeat_with_the_seed()
    {
        async Task<string> Run(int seed)
        {
            var port = new SimulatedPort(new SimulatedDevice(PynqZ2), SimulatedPortOptions.Pcap, new FaultPlan(seed, rate: 0.5));
            var outcomes = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                try
                {
                    using var cts = new CancellationTokenSource();
                    var write = port.WriteAsync(Partial("conv3x3_int8"), null, cts.Token);
                    await cts.CancelAsync();
                    await write;
                    outcomes.Add("ok");
                }
                catch (ConfigurationPortException e)
                {
                    outcomes.Add(e.Failure.ToString());
                }
            }
            return string.Join(",", outcomes);
        }

        var a = await Run(42);

        Assert.Equal(a, await Run(42));
        Assert.NotEqual(a, await Run(43));
        Assert.Contains("ok", a);
        Assert.Contains("Timeout", a);
    }

    [Fact]
    public async Task Two_partitions_swapping_at_once_are_written_one_at_a_time()
    {
        var time = new HeldTimeProvider();
        var device = new SimulatedDevice(Composable);
        // RealTime: each write waits its modelled time on the held clock, until the test fires it.
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap with { RealTime = true }, time: time);
        ConfigurationImage[] images =
        [
            Real("pr_join_subtract", Fixtures.JoinSubtract), Real("pr_0_dilate_erode", Fixtures.Pr0DilateErode),
            Real("pr_join_absdiff", Fixtures.JoinAbsdiff), Real("pr_0_dilate_erode", Fixtures.Pr0DilateErode),
            Real("pr_join_subtract", Fixtures.JoinSubtract), Real("pr_0_dilate_erode", Fixtures.Pr0DilateErode),
        ];

        var writes = images.Select(i => port.WriteAsync(i, null, CancellationToken.None)).ToArray();
        var underWayAtOnce = time.Armed;
        var all = Task.WhenAll(writes);
        while (!all.IsCompleted)
        {
            await Task.WhenAny(time.WhenArmed, all);
            time.FireAll();
        }
        var results = await all;

        Assert.Equal(1, underWayAtOnce);
        Assert.Equal(1, time.MostArmed);
        Assert.Equal(images.Length, port.Writes);
        Assert.Equal(images.Select(i => (i.Bytes, SimulatedPortOptions.Pcap.TransferTime(i.Bytes))), results.Select(r => (r.Bytes, r.Duration)));
        Assert.Contains(device.ModuleIn(Composable.Partition("pr_join")), new[] { "pr_join_subtract", "pr_join_absdiff" });
        Assert.Equal("pr_0_dilate_erode", device.ModuleIn(Composable.Partition("pr_0")));
    }

    [Fact]
    public async Task A_write_cancelled_while_it_waits_for_the_port_writes_nothing_and_the_write_under_way_completes()
    {
        var time = new HeldTimeProvider();
        var device = new SimulatedDevice(Composable);
        var port = new SimulatedPort(device, SimulatedPortOptions.Pcap with { RealTime = true }, time: time);
        var first = port.WriteAsync(Real("pr_join_subtract", Fixtures.JoinSubtract), null, CancellationToken.None);
        using var timeout = new CancellationTokenSource();
        var second = port.WriteAsync(Real("pr_0_dilate_erode", Fixtures.Pr0DilateErode), null, timeout.Token);

        await timeout.CancelAsync();
        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => second);
        time.FireAll();
        await first;

        Assert.Equal((PortFailure.Timeout, false), (e.Failure, e.RegionStateUnknown));
        Assert.Contains("waited for the port", e.Message);
        Assert.Equal("pr_join_subtract", device.ModuleIn(Composable.Partition("pr_join")));
        Assert.Null(device.ModuleIn(Composable.Partition("pr_0")));
        Assert.False(device.IsCorrupt(Composable.Partition("pr_0")));
        Assert.Equal(1, port.Writes);
    }

    private sealed class SynchronousProgress(Action<PortProgress> report) : IProgress<PortProgress>
    {
        public void Report(PortProgress value) => report(value);
    }
}
