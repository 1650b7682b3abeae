using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;
using Xunit.Abstractions;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>Tests that count the process's allocations: they run alone, so no other test's allocations are counted.</summary>
[CollectionDefinition(nameof(AllocationCounting), DisableParallelization = true)]
public sealed class AllocationCounting;

/// <summary>
/// A large job through the driver and the simulated board allocates its output and a working set of
/// strips, not copies of its tensors (issue 25: a 512 MB board). Counted by the GC, on every thread.
/// </summary>
[Collection(nameof(AllocationCounting))]
public sealed class RunPathAllocationTests(ITestOutputHelper log)
{
    /// <summary>The strips' buffers, the kernel's packed rows and the odd small object per strip, with room to spare.</summary>
    private const long WorkingSet = 4 << 20;

    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    /// <summary>
    /// The bound: the job's native input and output bytes, plus <see cref="WorkingSet"/>. Before the run
    /// path kept native widths, a 2048² int8 job (the bytes of the first case; images are now at most
    /// CAPS.MAX_WIDTH wide) allocated 116 MB (121,650,376 bytes) here against a bound of 12 MiB: its
    /// tensors as Int32 and byte copies of them on both sides of the DMA.
    /// </summary>
    [Theory]
    [InlineData("conv3x3_int8", ConvOutputMode.Requantized, 4096, 1024)]
    [InlineData("conv5x5_int16", ConvOutputMode.Raw, 1024, 1024)]
    public async Task A_large_single_channel_job_allocates_no_more_than_its_tensors_and_a_bounded_working_set(string name, ConvOutputMode output, int height, int size)
    {
        var module = ConvModule.Resolve(name);
        var width = module.Bits / 8;
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 16 << 20, KernelThreads: 1));
        await board.Port.WriteAsync(new ConfigurationImage(name, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, name))), null, CancellationToken.None);
        var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, new MemoryRegion(0x10000000, 16 << 20));
        var k = module.KernelSize;
        var random = new Random(size);
        var input = new byte[height * size * width];
        random.NextBytes(input);
        var weights = new byte[k * k * width];
        random.NextBytes(weights);
        var spec = new ConvSpec(module, 1, ConvPadding.Same, output == ConvOutputMode.Raw ? 0 : module.Bits - 1, output);
        var job = ConvJob.Create(spec, new TensorShape(1, 1, height, size), input, new TensorShape(1, 1, k, k), weights, new[] { 12345L });
        // Once small first, so what is made once per process (the kernel's helpers, pools) is not counted.
        await driver.RunAsync(ConvJob.Create(spec, new TensorShape(1, 1, 8, 8), new byte[64 * width], new TensorShape(1, 1, k, k), weights), CancellationToken.None);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await driver.RunAsync(job, CancellationToken.None);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var bound = input.Length + job.OutputBytes + WorkingSet;
        log.WriteLine($"{name} {height}x{size} {output}: {input.Length:N0} bytes in, {job.OutputBytes:N0} out; the run allocated {allocated:N0} (bound {bound:N0})");
        Assert.True(allocated <= bound, $"the run allocated {allocated:N0} bytes, over {bound:N0}");
        var problem = job.ToProblem();
        var expected = output == ConvOutputMode.Raw
            ? TensorBytes.EncodeRaw(new ConvKernel(1).Raw(problem))
            : TensorBytes.Encode(new ConvKernel(1).Requantized(problem), width);
        Assert.True(expected.AsSpan().SequenceEqual(result.Output));
    }
}
