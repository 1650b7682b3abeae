using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>
/// Register map 2.0 end to end: the driver's channel groups, weight uploads and NHWC layout against the
/// simulated module, bit-exact with the reference for channel counts that are not multiples of the
/// module's parallelism, and the slices it falls back to when the channels do not fit one pass.
/// </summary>
public sealed class MultiChannelDriverTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    private static async Task<(SimulatedBoard Board, ConvDriver Driver)> Bind(string name, ulong bufferBytes = 4 << 20)
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 8 << 20, KernelThreads: 1));
        await board.Port.WriteAsync(new ConfigurationImage(name, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, name))), null, CancellationToken.None);
        return (board, ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, ConvModule.Resolve(name), board, new MemoryRegion(0x10000000, bufferBytes)));
    }

    private static ConvProblem Problem(ConvModule module, int seed, TensorShape input, int cout, int stride, ConvPadding padding, ConvOutputMode output)
    {
        var rng = new Random(seed);
        int Value() => (int)rng.NextInt64(module.MinValue, module.MaxValue + 1);
        var k = module.KernelSize;
        // A shift near P + log2(Cin·K²) keeps most sums in range and saturates some.
        var shift = output == ConvOutputMode.Raw ? 0 : module.Bits + (int)Math.Log2(input.C * k * k) - 2;
        return ConvProblem.Create(
            new ConvSpec(module, stride, padding, shift, output),
            input, Enumerable.Range(0, (int)input.Count).Select(_ => Value()).ToArray(),
            new TensorShape(cout, input.C, k, k), Enumerable.Range(0, cout * input.C * k * k).Select(_ => Value()).ToArray(),
            Enumerable.Range(0, cout).Select(_ => rng.NextInt64(-1L << 40, 1L << 40)).ToArray());
    }

    private static void AssertReference(ConvProblem problem, ConvModuleResult result)
    {
        if (problem.Spec.Output == ConvOutputMode.Raw)
        {
            Assert.Equal(ConvReference.Raw(problem), TensorBytes.DecodeRaw(result.Output));
        }
        else
        {
            Assert.Equal(ConvReference.Requantized(problem), TensorBytes.Decode(result.Output, problem.Spec.Module.Bits / 8));
        }
    }

    public static TheoryData<string, int, ConvPadding, ConvOutputMode> Layers()
    {
        var data = new TheoryData<string, int, ConvPadding, ConvOutputMode>();
        foreach (var m in ConvModule.All)
        {
            data.Add(m.Name.Value, 1, ConvPadding.Same, ConvOutputMode.Requantized);
            data.Add(m.Name.Value, 2, ConvPadding.Valid, ConvOutputMode.Requantized);
            data.Add(m.Name.Value, 1, ConvPadding.Valid, ConvOutputMode.Raw);
            data.Add(m.Name.Value, 2, ConvPadding.Same, ConvOutputMode.Raw);
        }
        return data;
    }

    /// <summary>2·PI + 1 input channels (a partial last chunk) into PO + 1 output channels (a partial last group).</summary>
    [Theory]
    [MemberData(nameof(Layers))]
    public async Task Odd_channel_counts_run_one_pass_per_group_and_equal_the_reference(string name, int stride, ConvPadding padding, ConvOutputMode output)
    {
        var (_, driver) = await Bind(name);
        var lanes = driver.Parallelism;
        var cout = lanes.OutputLanes + 1;
        var problem = Problem(driver.Module, name.GetHashCode() ^ stride, new TensorShape(2, (2 * lanes.InputLanes) + 1, 9, 11), cout, stride, padding, output);

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        AssertReference(problem, result);
        Assert.Equal(2, result.Passes);
        Assert.Equal(RtlCycleModel.JobCycles(problem.Spec, problem.InputShape, cout), result.Cycles);
    }

    [Fact]
    public async Task The_driver_reads_the_parallelism_from_caps2()
    {
        foreach (var module in ConvModule.All)
        {
            var (_, driver) = await Bind(module.Name.Value);

            Assert.Equal(ConvParallelism.For(module), driver.Parallelism);
        }
    }

    /// <summary>More input channels than the weight memory holds (CAPS2.MAX_CIN 256): raw passes over slices of them, summed and requantized by the driver.</summary>
    [Theory]
    [InlineData("conv3x3_int8", ConvOutputMode.Requantized)]
    [InlineData("conv5x5_int16", ConvOutputMode.Raw)]
    public async Task More_channels_than_max_cin_run_in_slices_and_equal_the_reference(string name, ConvOutputMode output)
    {
        var (_, driver) = await Bind(name);
        var problem = Problem(driver.Module, 7, new TensorShape(1, 300, 5, 6), 3, 1, ConvPadding.Same, output);

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        AssertReference(problem, result);
        // Slices of 256 and 44 channels per group, as the plan the scheduler's estimate uses says.
        Assert.Equal(2 * driver.Parallelism.Groups(3), result.Passes);
        Assert.Equal(new ConvPassPlan(256, Math.Min(3, driver.Parallelism.OutputLanes)), ConvPassPlan.For(problem.Spec, problem.InputShape, 3, driver.Parallelism));
        Assert.Equal(RtlCycleModel.JobCycles(problem.Spec, problem.InputShape, 3), result.Cycles);
    }

    /// <summary>A row of chunks longer than the line buffer (IMG_W x ceil(CIN / PI) over CAPS.MAX_WIDTH): as many channels a pass as it holds.</summary>
    [Fact]
    public async Task A_wide_image_of_many_channels_runs_as_many_channels_a_pass_as_the_line_buffer_holds()
    {
        var (_, driver) = await Bind("conv3x3_int16");
        var pi = driver.Parallelism.InputLanes;
        // 1,000 columns: two chunks of PI channels fit the line buffer's 2,046 words, so 2·PI channels a pass.
        var problem = Problem(driver.Module, 11, new TensorShape(1, (4 * pi) + 1, 3, 1000), 2, 2, ConvPadding.Same, ConvOutputMode.Requantized);

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        AssertReference(problem, result);
        Assert.Equal(3, result.Passes);
    }

    /// <summary>A DMA buffer with room for one input channel and one output channel: the job still runs, a channel pair a pass.</summary>
    [Fact]
    public async Task A_buffer_of_exactly_the_least_pass_bytes_runs_one_channel_pair_a_pass()
    {
        var module = ConvModule.Resolve("conv3x3_int8");
        var problem = Problem(module, 5, new TensorShape(1, 5, 8, 8), 3, 1, ConvPadding.Valid, ConvOutputMode.Requantized);
        var (_, driver) = await Bind(module.Name.Value, (ulong)ConvDriver.PassBytes(problem.Spec, problem.InputShape));

        var result = await driver.RunAsync(ConvJob.Encode(problem), CancellationToken.None);

        AssertReference(problem, result);
        Assert.Equal(5 * 3, result.Passes);
        Assert.Equal(RtlCycleModel.JobCycles(problem.Spec, problem.InputShape, 3, new ConvPassPlan(1, 1)), result.Cycles);
    }

    [Fact]
    public async Task The_module_refuses_channel_counts_outside_caps2_and_keeps_bias_lo_as_bias_entry_0()
    {
        var (board, driver) = await Bind("conv5x5_int16");
        using var registers = board.Map(Conv.ModuleAddress, 1 << 12);

        Assert.Equal(0x01000301u, registers.Read32(R.Caps2));
        registers.Write32(R.Cout, 4);
        registers.Write32(R.Ctrl, 1u << R.CtrlLoadWeightsLsb);
        Assert.Equal(1u << R.StatusErrorLsb, registers.Read32(R.Status));

        registers.Write32(R.BiasBase, 0x1234);
        Assert.Equal(0x1234u, registers.Read32(R.BiasLo));
        Assert.Equal(0u, registers.Read32(R.BiasBase));
        Assert.Equal(ConvModule.Resolve("conv5x5_int16"), driver.Module);
    }

    [Fact]
    public async Task Conv5x5_int32_says_it_takes_a_kernel_row_a_clock_and_the_driver_reads_it()
    {
        var (board, driver) = await Bind("conv5x5_int32");
        using var registers = board.Map(Conv.ModuleAddress, 1 << 12);

        // CAPS: ROW_CLOCKS 5, MAX_WIDTH 2044; CAPS2: MAX_CIN 256, PO 4, PI 1.
        Assert.Equal(0x000507FCu, registers.Read32(R.Caps));
        Assert.Equal(0x01000401u, registers.Read32(R.Caps2));
        Assert.Equal(new ConvParallelism(1, 4, 256, 5), driver.Parallelism);
        Assert.Equal(ConvParallelism.For(ConvModule.Resolve("conv5x5_int32")), driver.Parallelism);
    }
}
