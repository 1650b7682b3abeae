using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Drivers;

/// <summary><see cref="ConvDriver.PassBytes"/>: what a job needs of a partition's DMA buffers, as the driver judges it.</summary>
public class ConvDriverTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    private static ConvSpec Spec(string module, int stride, ConvPadding padding, ConvOutputMode output) =>
        new(ConvModule.Resolve(module), stride, padding, 0, output);

    public static TheoryData<string, int, ConvPadding, ConvOutputMode, int[], long> Passes() => new()
    {
        // 5,792² int8 in and out, 33,547,264 bytes each (a multiple of 64).
        { "conv3x3_int8", 1, ConvPadding.Same, ConvOutputMode.Requantized, [1, 1, 5792, 5792], 2 * 33_547_264L },
        // Input 100 bytes, padded to 128; output 8 bytes an element (raw).
        { "conv3x3_int8", 1, ConvPadding.Same, ConvOutputMode.Raw, [1, 1, 10, 10], 128 + 800 },
        // Several input channels: a pass is one channel of the 3 frames (2,142 bytes, padded to 2,176), its output 9x7 Int64 sums to add up.
        { "conv5x5_int16", 2, ConvPadding.Valid, ConvOutputMode.Requantized, [3, 4, 21, 17], 2176 + (3 * 9 * 7 * 8) },
        { "conv3x3_int32", 1, ConvPadding.Same, ConvOutputMode.Requantized, [2, 1, 8, 8], 512 + 512 },
    };

    [Theory]
    [MemberData(nameof(Passes))]
    public void Pass_bytes_are_one_input_channel_aligned_and_one_output_channel(string module, int stride, ConvPadding padding, ConvOutputMode output, int[] shape, long bytes)
    {
        Assert.Equal(bytes, ConvDriver.PassBytes(Spec(module, stride, padding, output), new TensorShape(shape[0], shape[1], shape[2], shape[3])));
    }

    [Fact]
    public void The_largest_square_int8_image_a_64_MiB_buffer_takes_is_5792_pixels_wide()
    {
        var spec = Spec("conv3x3_int8", 1, ConvPadding.Same, ConvOutputMode.Requantized);

        Assert.True(ConvDriver.PassBytes(spec, new TensorShape(1, 1, 5792, 5792)) <= 64 << 20);
        Assert.True(ConvDriver.PassBytes(spec, new TensorShape(1, 1, 5793, 5793)) > 64 << 20);
    }

    [Fact]
    public void Shapes_past_any_buffer_saturate_instead_of_wrapping()
    {
        var spec = Spec("conv3x3_int32", 1, ConvPadding.Same, ConvOutputMode.Raw);

        Assert.Equal(long.MaxValue, ConvDriver.PassBytes(spec, new TensorShape(int.MaxValue, 1, int.MaxValue, int.MaxValue)));
    }

    [Theory]
    [InlineData("conv3x3_int8", 1, ConvOutputMode.Requantized)]
    [InlineData("conv5x5_int16", 2, ConvOutputMode.Requantized)]
    [InlineData("conv3x3_int32", 1, ConvOutputMode.Raw)]
    public async Task The_driver_runs_a_job_in_buffers_of_exactly_its_pass_bytes_and_refuses_it_in_one_byte_less(string name, int cin, ConvOutputMode output)
    {
        var module = ConvModule.Resolve(name);
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));
        await board.Port.WriteAsync(new ConfigurationImage(name, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, name))), null, CancellationToken.None);
        var k = module.KernelSize;
        var input = new TensorShape(2, cin, 13, 9);
        var job = ConvJob.Create(
            Spec(name, 1, ConvPadding.Same, output), input, new byte[input.Count * (module.Bits / 8)],
            new TensorShape(1, cin, k, k), new byte[cin * k * k * (module.Bits / 8)]);
        var needed = (ulong)ConvDriver.PassBytes(job.Spec, input);

        var fits = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, new MemoryRegion(0x10000000, needed));
        Assert.Equal(job.OutputBytes, (await fits.RunAsync(job, CancellationToken.None)).Output.Length);

        var short1 = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, new MemoryRegion(0x10000000, needed - 1));
        var e = await Assert.ThrowsAsync<DriverException>(() => short1.RunAsync(job, CancellationToken.None));
        Assert.Contains($"a pass needs {needed:N0} bytes of DMA buffer", e.Message);
    }

    [Theory]
    [InlineData("conv3x3_int8", 2046)]
    [InlineData("conv5x5_int32", 2044)]
    public async Task An_image_wider_than_the_line_buffer_is_refused_and_one_as_wide_as_it_runs(string name, int maxWidth)
    {
        var module = ConvModule.Resolve(name);
        var spec = Spec(name, 1, ConvPadding.Same, ConvOutputMode.Requantized);
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(KernelThreads: 1));
        await board.Port.WriteAsync(new ConfigurationImage(name, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, name))), null, CancellationToken.None);
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, new MemoryRegion(0x10000000, 1 << 20));
        var k = module.KernelSize;
        ConvJob Job(int width) => ConvJob.Create(spec, new TensorShape(1, 1, 3, width), new byte[3 * width * (module.Bits / 8)], new TensorShape(1, 1, k, k), new byte[k * k * (module.Bits / 8)]);

        Assert.Null(ConvDriver.Refusal(spec, new TensorShape(1, 1, 3, maxWidth), 1 << 20));
        Assert.Equal(Job(maxWidth).OutputBytes, (await driver.RunAsync(Job(maxWidth), CancellationToken.None)).Output.Length);

        Assert.Contains($"line buffer takes ({maxWidth}, CAPS.MAX_WIDTH)", ConvDriver.Refusal(spec, new TensorShape(1, 1, 3, maxWidth + 1), 1 << 20));
        var e = await Assert.ThrowsAsync<DriverException>(() => driver.RunAsync(Job(maxWidth + 1), CancellationToken.None));
        Assert.Contains("CAPS.MAX_WIDTH", e.Message);
    }
}
