using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>The driver against the simulated board: bit-exact results, cycles, rebinding, and the ways a partition can fail it.</summary>
public class SimulatedBoardDriverTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");
    private static readonly MemoryRegion Buffers = new(0x10000000, 4 << 20);

    private static SimulatedBoard NewBoard() => new(PynqZ2, new SimulatedBoardOptions(DdrBytes: 4 << 20, KernelThreads: 1));

    private static async Task Load(SimulatedBoard board, string module) =>
        await board.Port.WriteAsync(new ConfigurationImage(module, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, module))), null, CancellationToken.None);

    private static ConvProblem RandomProblem(ConvModule module, int seed, int n, int cin, int cout, int h, int w, int stride, ConvPadding padding, ConvOutputMode output, int shift)
    {
        var rng = new Random(seed);
        int Value() => (int)rng.NextInt64(module.MinValue, module.MaxValue + 1);
        var k = module.KernelSize;
        var spec = new ConvSpec(module, stride, padding, output == ConvOutputMode.Raw ? 0 : shift, output);
        return ConvProblem.Create(
            spec,
            new TensorShape(n, cin, h, w), Enumerable.Range(0, n * cin * h * w).Select(_ => Value()).ToArray(),
            new TensorShape(cout, cin, k, k), Enumerable.Range(0, cout * cin * k * k).Select(_ => Value()).ToArray(),
            Enumerable.Range(0, cout).Select(_ => rng.NextInt64(-1L << 40, 1L << 40)).ToArray());
    }

    public static TheoryData<string, int, int, ConvOutputMode> Jobs()
    {
        var data = new TheoryData<string, int, int, ConvOutputMode>();
        foreach (var m in ConvModule.All)
        {
            data.Add(m.Name.Value, 1, 1, ConvOutputMode.Requantized);
            data.Add(m.Name.Value, 3, 2, ConvOutputMode.Requantized);
            data.Add(m.Name.Value, 2, 2, ConvOutputMode.Raw);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Jobs))]
    public async Task Driver_results_are_bit_exact_with_the_reference(string name, int cin, int stride, ConvOutputMode output)
    {
        var module = ConvModule.Resolve(name);
        var board = NewBoard();
        await Load(board, name);
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, Buffers);
        var problem = RandomProblem(module, name.GetHashCode(), n: 2, cin, cout: 3, h: 11, w: 9, stride, stride == 1 ? ConvPadding.Same : ConvPadding.Valid, output, shift: module.Bits);

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        if (output == ConvOutputMode.Raw)
        {
            Assert.Equal(ConvReference.Raw(problem), TensorBytes.DecodeRaw(result.Output));
        }
        else
        {
            Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(result.Output, module.Bits / 8));
        }
        // One pass per group of PO output channels over all the input channels, timed by our RTL (the board's
        // default): per group a weight upload and a pass.
        Assert.Equal(driver.Parallelism.Groups(3), result.Passes);
        Assert.Equal(RtlCycleModel.JobCycles(problem.Spec, problem.InputShape, 3), result.Cycles);
        Assert.Equal(TimeSpan.FromSeconds(result.Cycles / 100e6), result.ModuleTime);
    }

    /// <summary>Int8 jobs over several channels sum in Int32 (the driver proves no sum leaves it): every value at -128, the largest sums there are, with a bias that keeps Int32 and one that does not.</summary>
    [Theory]
    [InlineData("conv3x3_int8", 1000L)]
    [InlineData("conv5x5_int8", -1000L)]
    [InlineData("conv3x3_int8", 1L << 40)]
    public async Task Int8_sums_at_the_largest_magnitudes_are_exact(string name, long bias)
    {
        var module = ConvModule.Resolve(name);
        var board = NewBoard();
        await Load(board, name);
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, Buffers);
        var k = module.KernelSize;
        var spec = new ConvSpec(module, 1, ConvPadding.Valid, 12, ConvOutputMode.Requantized);
        var problem = ConvProblem.Create(
            spec,
            new TensorShape(1, 5, 9, 9), Enumerable.Repeat(-128, 5 * 81).ToArray(),
            new TensorShape(2, 5, k, k), Enumerable.Repeat(-128, 2 * 5 * k * k).ToArray(),
            new[] { bias, -bias });

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(result.Output, 1));
    }

    [Fact]
    public async Task A_driver_kept_across_a_swap_is_refused()
    {
        var board = NewBoard();
        var binding = new RegionBinding("conv");
        await Load(board, "conv3x3_int8");
        var old = ConvDriver.Bind(binding, PynqZ2, Conv, ConvModule.Resolve("conv3x3_int8"), board, Buffers);
        var problem = RandomProblem(old.Module, 1, 1, 1, 1, 6, 6, 1, ConvPadding.Same, ConvOutputMode.Requantized, 0);

        binding.Invalidate();
        await Load(board, "conv5x5_int16");
        var fresh = ConvDriver.Bind(binding, PynqZ2, Conv, ConvModule.Resolve("conv5x5_int16"), board, Buffers);

        var e = await Assert.ThrowsAsync<StaleDriverException>(() => old.RunAsync(ConvJob.Encode(problem), CancellationToken.None));
        Assert.Contains("conv3x3_int8", e.Message);
        Assert.Equal(fresh.Generation, binding.Generation);
        Assert.Equal("conv5x5_int16", binding.Module);
    }

    [Fact]
    public async Task Binding_checks_which_module_answers()
    {
        var board = NewBoard();
        var empty = Assert.Throws<DriverException>(() => ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, ConvModule.Resolve("conv3x3_int8"), board, Buffers));
        Assert.Contains("no convolution module answers", empty.Message);

        await Load(board, "conv5x5_int16");
        var binding = new RegionBinding("conv");
        var wrong = Assert.Throws<DriverException>(() => ConvDriver.Bind(binding, PynqZ2, Conv, ConvModule.Resolve("conv3x3_int8"), board, Buffers));
        Assert.Contains("answers ID 0x434E0510", wrong.Message);
        Assert.Null(binding.Module);
    }

    [Fact]
    public async Task A_decoupled_partition_does_not_answer()
    {
        var board = NewBoard();
        await Load(board, "conv3x3_int8");
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, ConvModule.Resolve("conv3x3_int8"), board, Buffers);
        var decoupler = Conv.Decoupler!;
        new DecouplerControl(board.Map(decoupler.RegisterAddress, 4), decoupler).Decouple();

        var e = await Assert.ThrowsAsync<DriverException>(() => driver.RunAsync(ConvJob.Encode(RandomProblem(driver.Module, 2, 1, 1, 1, 5, 5, 1, ConvPadding.Same, ConvOutputMode.Requantized, 0)), CancellationToken.None));

        Assert.Contains("decoupled", e.Message);
    }

    [Fact]
    public async Task An_upset_in_the_partition_corrupts_results()
    {
        var board = NewBoard();
        await Load(board, "conv3x3_int16");
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, ConvModule.Resolve("conv3x3_int16"), board, Buffers);
        var problem = RandomProblem(driver.Module, 3, 1, 1, 1, 8, 8, 1, ConvPadding.Same, ConvOutputMode.Requantized, 4);
        board.Device.InjectUpset(PynqZ2.FramesOf(Conv).First(), 3, 9);

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        Assert.NotEqual(ConvReference.Requantized(problem), TensorBytes.Decode(result.Output, 2));
    }

    [Fact]
    public async Task A_job_larger_than_the_dma_buffers_is_a_typed_error()
    {
        var board = NewBoard();
        await Load(board, "conv3x3_int32");
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, ConvModule.Resolve("conv3x3_int32"), board, new MemoryRegion(0x10000000, 1024));

        var e = await Assert.ThrowsAsync<DriverException>(() => driver.RunAsync(ConvJob.Encode(RandomProblem(driver.Module, 4, 1, 1, 1, 32, 32, 1, ConvPadding.Same, ConvOutputMode.Requantized, 0)), CancellationToken.None));

        // 32x32 int32 in, 64-byte aligned, and 32x32 int32 out.
        Assert.Contains($"a pass needs {8192:N0} bytes of DMA buffer; the partition has {1024:N0}", e.Message);
    }

    [Fact]
    public async Task Sem_reports_upsets_and_repairs_the_correctable_ones()
    {
        var board = NewBoard();
        await Load(board, "conv3x3_int8");
        var lines = new List<string>();
        board.SemOutput += lines.AddRange;
        var frames = PynqZ2.FramesOf(Conv).ToList();

        board.InjectUpset(frames[5], 12, 3, correctable: true);

        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
        var corrected = Assert.Single(Fabric.Sem.SemReportParser.Parse(lines, PynqZ2.Device).OfType<Fabric.Sem.UpsetReport>());
        Assert.Equal((frames[5], 12, 3, true), (corrected.Frame, corrected.Word, corrected.Bit, corrected.Corrected));

        lines.Clear();
        board.InjectUpset(frames[9], 0, 0, correctable: false);

        Assert.True(board.Device.IsCorrupt(Conv));
        var uncorrectable = Assert.Single(Fabric.Sem.SemReportParser.Parse(lines, PynqZ2.Device).OfType<Fabric.Sem.UpsetReport>());
        Assert.False(uncorrectable.Corrected);
    }
}
