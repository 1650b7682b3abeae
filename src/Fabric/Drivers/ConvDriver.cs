using System.Buffers.Binary;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Mmio;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// Runs convolution jobs on the module loaded in a partition, through its registers
/// (<c>hardware/register-map.json</c>) and the partition's AXI DMA, the same way on the board
/// (<c>/dev/mem</c>) and in simulation. The module computes one input channel and one output
/// channel per pass over N frames; a job with several input channels runs raw passes (the bias in the
/// first) and sums them here, then requantizes exactly as docs/convolution.md says, so the result is
/// bit-exact whatever Cin is. Bound to one generation of its partition: after a swap it refuses to
/// touch the hardware (<see cref="StaleDriverException"/>).
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
        return driver;
    }

    /// <summary>
    /// Bytes of DMA buffer one pass of a job needs: one input channel of the N frames at P/8 bytes an
    /// element, 64-byte aligned, then one output channel, at P/8 bytes when the module requantizes (a
    /// single-channel job) and 8 when it leaves Int64 sums (raw output, or sums over several input
    /// channels). A partition whose buffers are smaller cannot run the job at all.
    /// </summary>
    public static long PassBytes(ConvSpec spec, TensorShape inputShape)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (n, _, h, w) = inputShape;
        var inBytes = (Int128)n * h * w * (spec.Module.Bits / 8);
        var outBytes = (Int128)n * spec.OutputSize(h) * spec.OutputSize(w) * PassWidth(spec, inputShape.C);
        return (long)Int128.Min(Aligned(inBytes) + outBytes, long.MaxValue);
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
        var (n, cin, h, w) = job.InputShape;
        var (_, cout, hout, wout) = job.OutputShape;
        // The module requantizes a single-channel job itself; a job over several input channels runs raw passes summed here.
        var summed = cin > 1;
        var spec = summed ? job.Spec with { Output = ConvOutputMode.Raw, Shift = 0 } : job.Spec;
        var passWidth = PassWidth(job.Spec, cin);
        var planeBytes = (long)hout * wout * passWidth;
        var outOffset = DdrOffset(_buffers.Base) + (long)Aligned((Int128)n * h * w * job.Width);
        var output = new byte[job.OutputBytes];
        // Raw output is Int64 already and sums in place; requantized output needs the sums of one output channel.
        var elements = (long)hout * wout;
        var sumWidth = summed && job.Spec.Output == ConvOutputMode.Requantized ? SumWidth(job) : 0;
        var sums = sumWidth > 0 ? new byte[n * elements * sumWidth] : null;
        long cycles = 0;
        var passes = 0;
        for (var co = 0; co < cout; co++)
        {
            for (var ci = 0; ci < cin; ci++)
            {
                // The bias goes in with the first input channel, so the sum over the passes holds it once.
                var bias = ci == 0 && !job.Bias.IsEmpty ? job.Bias.Span[co] : 0;
                cycles += await PassAsync(spec, job, co, ci, bias, (uint)(n * planeBytes), cancellationToken);
                passes++;
                for (var b = 0; b < n; b++)
                {
                    var from = outOffset + (b * planeBytes);
                    if (sums is not null)
                    {
                        Accumulate(from, sums.AsSpan((int)(b * elements * sumWidth), (int)(elements * sumWidth)), sumWidth, first: ci == 0);
                    }
                    else if (ci == 0)
                    {
                        _ddr.Read(from, output.AsSpan((int)(((long)b * cout + co) * planeBytes), (int)planeBytes));
                    }
                    else
                    {
                        Accumulate(from, output.AsSpan((int)(((long)b * cout + co) * planeBytes), (int)planeBytes), 8, first: false);
                    }
                }
            }
            if (sums is not null)
            {
                var plane = elements * job.Width;
                for (var b = 0; b < n; b++)
                {
                    Requantize(job.Spec, sums.AsSpan((int)(b * elements * sumWidth), (int)(elements * sumWidth)), sumWidth, output.AsSpan((int)(((long)b * cout + co) * plane), (int)plane));
                }
            }
        }
        return new ConvModuleResult(output, cycles, TimeSpan.FromSeconds(cycles / (_clockMHz * 1e6)), passes);
    }

    /// <summary>Bytes an output element of a pass takes: see <see cref="PassBytes"/>.</summary>
    private static int PassWidth(ConvSpec spec, int inputChannels) =>
        inputChannels == 1 && spec.Output == ConvOutputMode.Requantized ? spec.Module.Bits / 8 : 8;

    private static Int128 Aligned(Int128 bytes) => (bytes + 63) & ~(Int128)63;

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
    /// Adds the Int64 sums of a pass at <paramref name="offset"/> in DDR to <paramref name="sums"/>, elements
    /// of <paramref name="width"/> bytes (4 only where <see cref="SumWidth"/> proved they fit), a few KB at a
    /// time; the <paramref name="first"/> pass writes them instead.
    /// </summary>
    private void Accumulate(long offset, Span<byte> sums, int width, bool first)
    {
        Span<byte> chunk = stackalloc byte[4096];
        var count = sums.Length / width;
        for (var at = 0; at < count; at += chunk.Length / 8)
        {
            var part = chunk[..(Math.Min(chunk.Length / 8, count - at) * 8)];
            _ddr.Read(offset + ((long)at * 8), part);
            for (var i = 0; i < part.Length / 8; i++)
            {
                var value = BinaryPrimitives.ReadInt64LittleEndian(part[(i * 8)..]);
                var sum = sums[((at + i) * width)..];
                if (width == 8)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(sum, first ? value : unchecked(BinaryPrimitives.ReadInt64LittleEndian(sum) + value));
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(sum, (int)(first ? value : BinaryPrimitives.ReadInt32LittleEndian(sum) + value));
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

    /// <summary>One pass: input channel <paramref name="channel"/> of the N frames through the module with the weights of output channel <paramref name="co"/>; returns its cycles.</summary>
    private async Task<long> PassAsync(ConvSpec spec, ConvJob job, int co, int channel, long bias, uint outBytes, CancellationToken cancellationToken)
    {
        var (n, cin, h, w) = job.InputShape;
        var width = job.Width;
        var planeBytes = h * w * width;
        var input = job.Input.Span;
        var inBase = DdrOffset(_buffers.Base);
        for (var b = 0; b < n; b++)
        {
            _ddr.Write(inBase + ((long)b * planeBytes), input.Slice((int)(((long)b * cin + channel) * planeBytes), planeBytes));
        }
        var inBytes = (long)n * planeBytes;
        var outAddress = _buffers.Base + (ulong)Aligned(inBytes);

        Write(R.ImgW, (uint)w);
        Write(R.ImgH, (uint)h);
        Write(R.Frames, (uint)n);
        Write(R.Config, R.ConfigFor(spec));
        Write(R.BiasLo, (uint)bias);
        Write(R.BiasHi, (uint)((ulong)bias >> 32));
        var k = Module.KernelSize;
        var weights = job.Weights.Span;
        var first = job.WeightShape.Index(co, channel, 0, 0);
        for (var i = 0; i < k * k; i++)
        {
            Write(R.WeightBase + (R.WeightStride * i), (uint)TensorBytes.Read(weights, first + i, width));
        }
        Write(R.Status, (1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb));
        Write(R.Ctrl, 1u << R.CtrlStartLsb);
        Dma(AxiDmaRegisters.S2mmControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.S2mmDestinationAddress, (uint)outAddress);
        Dma(AxiDmaRegisters.S2mmLength, outBytes);
        Dma(AxiDmaRegisters.Mm2sControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.Mm2sSourceAddress, (uint)_buffers.Base);
        Dma(AxiDmaRegisters.Mm2sLength, (uint)inBytes);

        await WaitAsync(cancellationToken);
        return Read(R.Cycles);
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
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
            if ((status & (1u << R.StatusDoneLsb)) != 0 && (s2mm & AxiDmaRegisters.StatusIdle) != 0)
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
