using System.Buffers;
using System.Buffers.Binary;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Mmio;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// Runs convolution jobs on the module loaded in a partition, through its registers (register map 2.0,
/// <c>hardware/register-map.json</c>) and the partition's AXI DMA, the same way on the board
/// (<c>/dev/mem</c>) and in simulation. The module sums CIN input channels into a group of up to PO
/// output channels per pass (<c>CAPS2</c>), with the bias and the requantization on the module: a job runs
/// as one weight upload and one pass per group, its input laid out NHWC in the DMA buffer and its
/// output scattered back to NCHW. A job whose input channels do not fit one pass (over CAPS2.MAX_CIN, a
/// row of chunks longer than the line buffer, or a DMA buffer too small for them) runs raw passes over
/// slices of its channels summed here, then requantized exactly as docs/convolution.md says, so the
/// result is bit-exact whatever the shape. Bound to one generation of its partition: after a swap it
/// refuses to touch the hardware (<see cref="StaleDriverException"/>).
/// </summary>
public sealed class ConvDriver
{
    /// <summary>The register window: 12 address bits (<c>addressWidth</c> in register-map.json).</summary>
    private const int RegisterWindowBytes = 1 << 12;

    private readonly RegionBinding _binding;
    private readonly Partition _partition;
    private readonly IMemoryWindow _registers;
    private readonly ulong _registerAddress;
    private readonly IMemoryWindow _dma;
    private readonly IMemoryWindow _ddr;
    private readonly MemoryRegion _buffers;
    private readonly double _clockMHz;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    private ConvDriver(RegionBinding binding, Partition partition, ConvModule module, ulong registerAddress, IPhysicalMemory memory, MemoryRegion buffers, double clockMHz, TimeProvider time, TimeSpan timeout)
    {
        _binding = binding;
        _partition = partition;
        Module = module;
        _registerAddress = registerAddress;
        _registers = memory.Map(registerAddress, RegisterWindowBytes);
        _dma = memory.Map(partition.DmaAddress ?? throw new DriverException(partition.Name, "the board gives no AXI DMA for this partition"), AxiDmaRegisters.Span);
        _ddr = memory.Map(buffers.Base, (long)buffers.Size);
        _buffers = buffers;
        _clockMHz = clockMHz;
        _time = time;
        _timeout = timeout;
    }

    public ConvModule Module { get; }

    public long Generation { get; private init; }

    /// <summary>What the module computes at once, as its <c>CAPS2</c> register says.</summary>
    public ConvParallelism Parallelism { get; private set; } = new(1, 1, 1);

    /// <summary>
    /// Binds a driver to the module just loaded in <paramref name="partition"/>: takes the next
    /// generation of <paramref name="binding"/> and checks the module's ID register says what it should.
    /// </summary>
    /// <param name="registerAddress">Where the module's registers are (its .hwh offset in the partition's window); default the window's start.</param>
    public static ConvDriver Bind(
        RegionBinding binding, Board board, Partition partition, ConvModule module, IPhysicalMemory memory, MemoryRegion buffers,
        ulong? registerAddress = null, TimeProvider? time = null, TimeSpan? timeout = null)
    {
        var driver = new ConvDriver(binding, partition, module, registerAddress ?? partition.ModuleAddress, memory, buffers, board.FabricClockMHz, time ?? TimeProvider.System, timeout ?? TimeSpan.FromSeconds(5))
        {
            Generation = binding.Bind(module.Name.Value),
        };
        var id = driver.Read(R.Id);
        if (id != R.IdFor(module))
        {
            binding.Invalidate();
            throw new DriverException(partition.Name, $"expected {module.Name} (ID 0x{R.IdFor(module):X8}) but the module answers ID 0x{id:X8}");
        }
        // Map 1.x modules (one channel pair a pass, no CAPS2) were never built: the RTL and the simulated board are 2.0.
        var version = driver.Read(R.Version);
        var lanes = ConvParallelism.FromCaps(driver.Read(R.Caps), driver.Read(R.Caps2));
        if (version >> 16 != R.VersionValue >> 16 || lanes.InputLanes == 0 || lanes.OutputLanes == 0 || lanes.MaxInputChannels == 0 || lanes.RowClocks == 0)
        {
            binding.Invalidate();
            throw new DriverException(partition.Name, $"{module.Name} implements register map {version >> 16}.{version & 0xFFFF} with CAPS2 0x{lanes.Caps2:X8} and CAPS.ROW_CLOCKS {lanes.RowClocks}; this driver programs map 2.x (CIN, COUT, LOAD_WEIGHTS, BIAS)");
        }
        driver.Parallelism = lanes;
        return driver;
    }

    /// <summary>
    /// Bytes of DMA buffer a job needs at the least: one pass over one input channel of the N frames at
    /// P/8 bytes an element, 64-byte aligned, then one output channel, at P/8 bytes when the module
    /// requantizes (a single-channel job) and 8 when it leaves Int64 sums (raw output, or sums over
    /// several input channels); and room for a weight word of the module (<see cref="ConvParallelism.For"/>),
    /// which is uploaded from the same buffer. The driver runs larger passes (more channels, a group of
    /// output channels) when the buffer has room for them. A partition whose buffers are smaller cannot run
    /// the job at all.
    /// </summary>
    public static long PassBytes(ConvSpec spec, TensorShape inputShape)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ConvPassPlan.Bytes(spec, inputShape, channels: 1, group: 1, ConvParallelism.For(spec.Module));
    }

    /// <summary>
    /// Why a partition whose DMA buffer holds <paramref name="bufferBytes"/> cannot run a job of
    /// <paramref name="inputShape"/>, or null when it can: an image wider than the module's line buffer
    /// (<see cref="ConvRegisterMap.MaxWidth"/>, CAPS.MAX_WIDTH), or a pass larger than the buffer
    /// (<see cref="PassBytes"/>). The driver refuses such a job; the service refuses it at submission.
    /// </summary>
    public static string? Refusal(ConvSpec spec, TensorShape inputShape, long bufferBytes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var maxWidth = R.MaxWidth(spec.KernelSize);
        if (inputShape.W > maxWidth)
        {
            return $"an image {inputShape.W} wide is wider than {spec.Module.Name}'s line buffer takes ({maxWidth}, CAPS.MAX_WIDTH)";
        }
        var needed = PassBytes(spec, inputShape);
        return needed > bufferBytes ? $"a pass needs {needed:N0} bytes of DMA buffer; the partition has {bufferBytes:N0}" : null;
    }

    /// <summary>
    /// Runs a job and returns its output in the byte layout of docs/convolution.md, at the job's
    /// <see cref="ConvJob.OutputWidth"/>. Each input plane goes from the job's bytes straight into the DMA
    /// buffer and each output plane straight from it into the output: nothing is widened, but for a job
    /// with several input channels and requantized output the sums of one output channel (<see cref="SumWidth"/>).
    /// </summary>
    public async Task<ConvModuleResult> RunAsync(ConvJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Spec.Module != Module)
        {
            throw new ConvolutionException("module", $"the job is for {job.Spec.Module.Name}, partition '{_partition.Name}' holds {Module.Name}");
        }
        if (Refusal(job.Spec, job.InputShape, (long)Math.Min(_buffers.Size, int.MaxValue)) is { } refusal)
        {
            throw new DriverException(_partition.Name, refusal);
        }
        var (channels, group) = ConvPassPlan.For(job.Spec, job.InputShape, job.OutputShape.C, Parallelism, (long)Math.Min(_buffers.Size, int.MaxValue))
            ?? throw new DriverException(_partition.Name, $"no pass of {Module.Name} (CAPS2 0x{Parallelism.Caps2:X8}) fits {_buffers.Size:N0} bytes of DMA buffer");
        var (n, cin, _, _) = job.InputShape;
        var (_, cout, hout, wout) = job.OutputShape;
        // All input channels in one pass: the module adds the bias and requantizes. Else raw passes over slices of them, summed here.
        var summed = channels < cin;
        var spec = summed ? job.Spec with { Output = ConvOutputMode.Raw, Shift = 0 } : job.Spec;
        var resultWidth = ConvPassPlan.ResultWidth(job.Spec, !summed);
        var elements = (long)hout * wout;
        var output = new byte[job.OutputBytes];
        // Raw output is Int64 already and sums in place; requantized output needs the sums of one group.
        var sumWidth = summed && job.Spec.Output == ConvOutputMode.Requantized ? SumWidth(job) : 0;
        var sums = sumWidth > 0 ? new byte[n * group * elements * sumWidth] : null;
        long cycles = 0;
        var passes = 0;
        for (var first = 0; first < cout; first += group)
        {
            var g = Math.Min(group, cout - first);
            for (var c0 = 0; c0 < cin; c0 += channels)
            {
                var slice = Math.Min(channels, cin - c0);
                var (results, passCycles) = await PassAsync(spec, job, first, g, c0, slice, resultWidth, cancellationToken);
                cycles += passCycles;
                passes++;
                if (sums is not null)
                {
                    Collect(results, n * g * elements, g, elements, 8, sums, g, 0, sumWidth, add: c0 > 0);
                }
                else
                {
                    Collect(results, n * g * elements, g, elements, resultWidth, output, cout, first, resultWidth, add: c0 > 0);
                }
            }
            for (var b = 0; b < n && sums is not null; b++)
            {
                for (var o = 0; o < g; o++)
                {
                    var plane = elements * job.Width;
                    Requantize(job.Spec, sums.AsSpan((int)(((b * g) + o) * elements * sumWidth), (int)(elements * sumWidth)), sumWidth, output.AsSpan((int)(((b * (long)cout) + first + o) * plane), (int)plane));
                }
            }
        }
        return new ConvModuleResult(output, cycles, TimeSpan.FromSeconds(cycles / (_clockMHz * 1e6)), passes);
    }

    /// <summary>
    /// Bytes a sum over the input channels takes: 4 when no sum can leave Int32 (every input and weight at
    /// its precision's largest magnitude, and the largest bias: int8 jobs of up to thousands of channels),
    /// else 8. Half the memory for the sums of an int8 job, which is most of what the driver holds.
    /// </summary>
    private static int SumWidth(ConvJob job)
    {
        var module = job.Spec.Module;
        var largest = -(Int128)module.MinValue;
        Int128 bias = 0;
        foreach (var b in job.Bias.Span)
        {
            bias = Int128.Max(bias, Int128.Abs(b));
        }
        return (Int128)job.InputShape.C * module.KernelSize * module.KernelSize * largest * largest + bias <= int.MaxValue ? 4 : 8;
    }

    /// <summary>
    /// Takes the <paramref name="count"/> results of a pass at <paramref name="offset"/> in DDR, NHWC within
    /// a group of <paramref name="group"/> channels at <paramref name="inWidth"/> bytes each, a few KB at a
    /// time, into NCHW <paramref name="destination"/> of <paramref name="channels"/> channels from channel
    /// <paramref name="firstChannel"/> at <paramref name="outWidth"/> bytes (4 only where <see cref="SumWidth"/>
    /// proved the sums fit); <paramref name="add"/> adds Int64 results to what is there instead of writing them.
    /// </summary>
    private void Collect(long offset, long count, int group, long elements, int inWidth, Span<byte> destination, int channels, int firstChannel, int outWidth, bool add)
    {
        Span<byte> chunk = stackalloc byte[4096];
        var per = chunk.Length / inWidth;
        for (long at = 0; at < count; at += per)
        {
            var part = chunk[..(int)(Math.Min(per, count - at) * inWidth)];
            _ddr.Read(offset + (at * inWidth), part);
            for (var i = 0; i < part.Length / inWidth; i++)
            {
                var (pixel, o) = Math.DivRem(at + i, group);
                var (b, element) = Math.DivRem(pixel, elements);
                var to = (((b * channels) + firstChannel + o) * elements) + element;
                if (inWidth < 8)
                {
                    TensorBytes.Write(destination, to, outWidth, TensorBytes.Read(part, i, inWidth));
                    continue;
                }
                var value = BinaryPrimitives.ReadInt64LittleEndian(part[(i * 8)..]);
                var sum = destination[(int)(to * outWidth)..];
                if (outWidth == 8)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(sum, add ? unchecked(BinaryPrimitives.ReadInt64LittleEndian(sum) + value) : value);
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(sum, (int)(add ? BinaryPrimitives.ReadInt32LittleEndian(sum) + value : value));
                }
            }
        }
    }

    /// <summary>Round and saturate (docs/convolution.md) sums of <paramref name="width"/> bytes into P/8-byte outputs.</summary>
    private static void Requantize(ConvSpec spec, ReadOnlySpan<byte> sums, int width, Span<byte> output)
    {
        var module = spec.Module;
        var outWidth = module.Bits / 8;
        for (var i = 0; i < sums.Length / width; i++)
        {
            var sum = width == 8 ? BinaryPrimitives.ReadInt64LittleEndian(sums[(i * 8)..]) : BinaryPrimitives.ReadInt32LittleEndian(sums[(i * 4)..]);
            TensorBytes.Write(output, i, outWidth, (int)ConvReference.Saturate(ConvReference.RoundShift(sum, spec.Shift), module.MinValue, module.MaxValue));
        }
    }

    /// <summary>
    /// One pass: the weights of output channels <paramref name="first"/> .. + <paramref name="group"/> over input
    /// channels <paramref name="c0"/> .. + <paramref name="channels"/> uploaded (CTRL.LOAD_WEIGHTS), then those
    /// input channels of the N frames, NHWC, through the module, the bias with the first slice. Returns where
    /// its results are in DDR and the cycles of the upload and the pass.
    /// </summary>
    private async Task<(long Results, long Cycles)> PassAsync(ConvSpec spec, ConvJob job, int first, int group, int c0, int channels, int resultWidth, CancellationToken cancellationToken)
    {
        var (n, _, h, w) = job.InputShape;
        var (_, _, hout, wout) = job.OutputShape;
        Write(R.Cin, (uint)channels);
        Write(R.Cout, (uint)group);
        for (var o = 0; o < group; o++)
        {
            var bias = c0 == 0 && !job.Bias.IsEmpty ? job.Bias.Span[first + o] : 0;
            Write(R.BiasBase + (2 * R.BiasStride * o), (uint)bias);
            Write(R.BiasBase + (2 * R.BiasStride * o) + R.BiasStride, (uint)((ulong)bias >> 32));
        }
        Write(R.Config, R.ConfigFor(spec));
        var weightBytes = StageWeights(job, first, group, c0, channels);
        Write(R.Status, (1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb));
        Write(R.Ctrl, 1u << R.CtrlLoadWeightsLsb);
        Dma(AxiDmaRegisters.Mm2sControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.Mm2sSourceAddress, (uint)_buffers.Base);
        Dma(AxiDmaRegisters.Mm2sLength, (uint)weightBytes);
        await WaitAsync(output: false, cancellationToken);
        var cycles = (long)Read(R.Cycles);

        var inBytes = StageInput(job, c0, channels);
        var outAddress = _buffers.Base + (ulong)ConvPassPlan.Aligned(inBytes);
        Write(R.ImgW, (uint)w);
        Write(R.ImgH, (uint)h);
        Write(R.Frames, (uint)n);
        Write(R.Status, (1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb));
        Write(R.Ctrl, 1u << R.CtrlStartLsb);
        Dma(AxiDmaRegisters.S2mmControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.S2mmDestinationAddress, (uint)outAddress);
        Dma(AxiDmaRegisters.S2mmLength, (uint)((long)n * hout * wout * group * resultWidth));
        Dma(AxiDmaRegisters.Mm2sControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.Mm2sSourceAddress, (uint)_buffers.Base);
        Dma(AxiDmaRegisters.Mm2sLength, (uint)inBytes);
        await WaitAsync(output: true, cancellationToken);
        return (DdrOffset(outAddress), cycles + Read(R.Cycles));
    }

    /// <summary>
    /// The weight words of a pass at the start of the DMA buffer (docs/register-map.md, "Weight upload"):
    /// word q holds input channels q·PI .. q·PI + PI − 1 of the slice, element (o, i, t) at
    /// ((o·PI + i)·K² + t)·P bits, zero where the channel does not exist. Returns their bytes.
    /// </summary>
    private long StageWeights(ConvJob job, int first, int group, int c0, int channels)
    {
        var lanes = Parallelism;
        var width = job.Width;
        var kk = Module.KernelSize * Module.KernelSize;
        var wordBytes = lanes.BeatsPerWeightWord(Module) * 8;
        var words = ArrayPool<byte>.Shared.Rent(lanes.Chunks(channels) * wordBytes);
        try
        {
            var staged = words.AsSpan(0, lanes.Chunks(channels) * wordBytes);
            staged.Clear();
            var weights = job.Weights.Span;
            for (var o = 0; o < group; o++)
            {
                for (var c = 0; c < channels; c++)
                {
                    var (q, i) = Math.DivRem(c, lanes.InputLanes);
                    var lane = (q * wordBytes / width) + (((o * lanes.InputLanes) + i) * kk);
                    var from = job.WeightShape.Index(first + o, c0 + c, 0, 0);
                    weights.Slice(from * width, kk * width).CopyTo(staged[(lane * width)..]);
                }
            }
            _ddr.Write(DdrOffset(_buffers.Base), staged);
            return staged.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(words);
        }
    }

    /// <summary>Input channels <paramref name="c0"/> .. + <paramref name="channels"/> of the N frames, NHWC, at the start of the DMA buffer, a few KB at a time. Returns their bytes.</summary>
    private long StageInput(ConvJob job, int c0, int channels)
    {
        var (n, cin, h, w) = job.InputShape;
        var width = job.Width;
        var plane = (long)h * w;
        var input = job.Input.Span;
        var inBase = DdrOffset(_buffers.Base);
        if (channels == 1)
        {
            for (var b = 0; b < n; b++)
            {
                _ddr.Write(inBase + (b * plane * width), input.Slice((int)((((long)b * cin) + c0) * plane * width), (int)(plane * width)));
            }
            return n * plane * width;
        }
        Span<byte> chunk = stackalloc byte[4096];
        var count = n * plane * channels;
        var per = chunk.Length / width;
        for (long at = 0; at < count; at += per)
        {
            var part = chunk[..(int)(Math.Min(per, count - at) * width)];
            for (var i = 0; i < part.Length / width; i++)
            {
                var (pixel, c) = Math.DivRem(at + i, channels);
                var (b, element) = Math.DivRem(pixel, plane);
                input.Slice((int)(((((b * cin) + c0 + c) * plane) + element) * width), width).CopyTo(part[(i * width)..]);
            }
            _ddr.Write(inBase + (at * width), part);
        }
        return count * width;
    }

    /// <summary>Until STATUS.DONE, and with <paramref name="output"/> until S2MM is idle too (the last result is in DDR).</summary>
    private async Task WaitAsync(bool output, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            var status = Read(R.Status);
            if ((status & (1u << R.StatusErrorLsb)) != 0)
            {
                throw new DriverException(_partition.Name, $"{Module.Name} refused the configuration (STATUS.ERROR)");
            }
            var s2mm = _dma.Read32(DmaOffset(AxiDmaRegisters.S2mmStatus));
            if ((s2mm & AxiDmaRegisters.StatusErrors) != 0)
            {
                throw new DriverException(_partition.Name, $"the AXI DMA reported an error (S2MM_DMASR 0x{s2mm:X8})");
            }
            if ((status & (1u << R.StatusDoneLsb)) != 0 && (!output || (s2mm & AxiDmaRegisters.StatusIdle) != 0))
            {
                return;
            }
            if (_time.GetElapsedTime(started) > _timeout)
            {
                throw new DriverException(_partition.Name, $"{Module.Name} did not finish within {_timeout.TotalSeconds:0.###} s (STATUS 0x{status:X8})");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(0.1), _time, cancellationToken);
        }
    }

    private uint Read(int offset)
    {
        _binding.Check(Generation, Module.Name.Value);
        return Access(() => _registers.Read32(RegisterOffset(offset)));
    }

    private void Write(int offset, uint value)
    {
        _binding.Check(Generation, Module.Name.Value);
        Access(() =>
        {
            _registers.Write32(RegisterOffset(offset), value);
            return 0u;
        });
    }

    private void Dma(int offset, uint value)
    {
        _binding.Check(Generation, Module.Name.Value);
        _dma.Write32(DmaOffset(offset), value);
    }

    private uint Access(Func<uint> access)
    {
        try
        {
            return access();
        }
        catch (MmioException e)
        {
            throw new DriverException(_partition.Name, $"register access to {Module.Name} failed: {e.Message}");
        }
    }

    private long RegisterOffset(int offset) => (long)(_registerAddress - _registers.BaseAddress) + offset;

    private long DmaOffset(int offset) => (long)(_partition.DmaAddress!.Value - _dma.BaseAddress) + offset;

    private long DdrOffset(ulong address) => (long)(address - _ddr.BaseAddress);
}
