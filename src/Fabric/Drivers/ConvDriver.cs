using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Mmio;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// Runs convolution jobs on the module loaded in a partition, through its registers
/// (<c>hardware/register-map.json</c>) and the partition's AXI DMA, the same way on the board
/// (<c>/dev/mem</c>) and in simulation. The module computes one input channel and one output
/// channel per pass over N frames; a job with several input channels runs raw passes and sums them
/// here, then adds the bias and requantizes exactly as docs/convolution.md says, so the result is
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
    /// The DMA buffer bytes one pass of a job needs (what <c>PassAsync</c> lays out): the input plane of
    /// every frame, rounded up to 64 bytes, then the output plane of every frame. The module computes one
    /// input channel per pass, so the output is raw (8 bytes an element) when the driver sums several
    /// channels or the job asks for raw output, else of the module's precision. Saturates at
    /// <see cref="long.MaxValue"/> for shapes no buffer holds. <paramref name="spec"/> is a validated one.
    /// </summary>
    public static long PassBytes(ConvSpec spec, TensorShape input)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var width = spec.Module.Bits / 8;
        var outWidth = input.C > 1 || spec.Output == ConvOutputMode.Raw ? 8 : width;
        var inBytes = (Int128)input.N * input.H * input.W * width;
        var outBytes = (Int128)input.N * spec.OutputSize(input.H) * spec.OutputSize(input.W) * outWidth;
        var total = ((inBytes + 63) & ~(Int128)63) + outBytes;
        return total > long.MaxValue ? long.MaxValue : (long)total;
    }

    public async Task<ConvModuleResult> RunAsync(ConvProblem problem, CancellationToken cancellationToken)
    {
        if (problem.Spec.Module != Module)
        {
            throw new ConvolutionException("module", $"the job is for {problem.Spec.Module.Name}, partition '{_partition.Name}' holds {Module.Name}");
        }
        var (n, cin, h, w) = problem.InputShape;
        var (_, cout, hout, wout) = problem.OutputShape;
        var hardwareRequantizes = cin == 1 && problem.Spec.Output == ConvOutputMode.Requantized;
        var plane = hout * wout;
        var requantized = hardwareRequantizes ? new int[problem.OutputShape.Count] : null;
        var raw = hardwareRequantizes ? null : new long[problem.OutputShape.Count];
        long cycles = 0;
        var passes = 0;
        var k = Module.KernelSize;
        for (var co = 0; co < cout; co++)
        {
            for (var ci = 0; ci < cin; ci++)
            {
                var weights = new int[k * k];
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = problem.Weights.Span[problem.WeightShape.Index(co, ci, i / k, i % k)];
                }
                var bias = hardwareRequantizes && !problem.Bias.IsEmpty ? problem.Bias.Span[co] : 0;
                var spec = hardwareRequantizes ? problem.Spec : problem.Spec with { Output = ConvOutputMode.Raw, Shift = 0 };
                var output = await PassAsync(spec, problem, ci, weights, bias, cancellationToken);
                cycles += output.Cycles;
                passes++;
                for (var b = 0; b < n; b++)
                {
                    var at = problem.OutputShape.Index(b, co, 0, 0);
                    for (var i = 0; i < plane; i++)
                    {
                        if (requantized is not null)
                        {
                            requantized[at + i] = output.Requantized![(b * plane) + i];
                        }
                        else
                        {
                            raw![at + i] += output.Raw![(b * plane) + i];
                        }
                    }
                }
            }
        }
        if (raw is not null)
        {
            Epilogue(problem, raw, out requantized);
        }
        return new ConvModuleResult(
            problem.Spec.Output == ConvOutputMode.Requantized ? requantized : null,
            problem.Spec.Output == ConvOutputMode.Raw ? raw : null,
            cycles,
            TimeSpan.FromSeconds(cycles / (_clockMHz * 1e6)),
            passes);
    }

    /// <summary>Bias, then round and saturate (docs/convolution.md), for jobs summed over passes here.</summary>
    private static void Epilogue(ConvProblem problem, long[] raw, out int[]? requantized)
    {
        var (_, cout, hout, wout) = problem.OutputShape;
        var plane = hout * wout;
        if (!problem.Bias.IsEmpty)
        {
            for (var i = 0; i < raw.Length; i++)
            {
                raw[i] = unchecked(raw[i] + problem.Bias.Span[(i / plane) % cout]);
            }
        }
        if (problem.Spec.Output == ConvOutputMode.Raw)
        {
            requantized = null;
            return;
        }
        var module = problem.Spec.Module;
        requantized = new int[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            requantized[i] = (int)ConvReference.Saturate(ConvReference.RoundShift(raw[i], problem.Spec.Shift), module.MinValue, module.MaxValue);
        }
    }

    private async Task<(int[]? Requantized, long[]? Raw, long Cycles)> PassAsync(ConvSpec spec, ConvProblem problem, int channel, int[] weights, long bias, CancellationToken cancellationToken)
    {
        var (n, cin, h, w) = problem.InputShape;
        var (_, _, hout, wout) = problem.OutputShape;
        var width = Module.Bits / 8;
        var outWidth = spec.Output == ConvOutputMode.Raw ? 8 : width;
        var inBytes = (long)n * h * w * width;
        var outBytes = (long)n * hout * wout * outWidth;
        var outAddress = _buffers.Base + (ulong)((inBytes + 63) & ~63L);
        if ((ulong)((inBytes + 63) & ~63L) + (ulong)outBytes > _buffers.Size || inBytes > int.MaxValue || outBytes > int.MaxValue)
        {
            throw new DriverException(_partition.Name, $"a pass needs {inBytes + outBytes:N0} bytes of DMA buffer; the partition has {_buffers.Size:N0}");
        }

        var input = new byte[inBytes];
        var hw = h * w;
        for (var b = 0; b < n; b++)
        {
            var from = problem.InputShape.Index(b, channel, 0, 0);
            TensorBytes.Encode(problem.Input.Span.Slice(from, hw), width).CopyTo(input.AsSpan(b * hw * width));
        }
        _ddr.Write(DdrOffset(_buffers.Base), input);

        Write(R.ImgW, (uint)w);
        Write(R.ImgH, (uint)h);
        Write(R.Frames, (uint)n);
        Write(R.Config, R.ConfigFor(spec));
        Write(R.BiasLo, (uint)bias);
        Write(R.BiasHi, (uint)((ulong)bias >> 32));
        for (var i = 0; i < weights.Length; i++)
        {
            Write(R.WeightBase + (R.WeightStride * i), (uint)weights[i]);
        }
        Write(R.Status, (1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb));
        Write(R.Ctrl, 1u << R.CtrlStartLsb);
        Dma(AxiDmaRegisters.S2mmControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.S2mmDestinationAddress, (uint)outAddress);
        Dma(AxiDmaRegisters.S2mmLength, (uint)outBytes);
        Dma(AxiDmaRegisters.Mm2sControl, AxiDmaRegisters.ControlRun);
        Dma(AxiDmaRegisters.Mm2sSourceAddress, (uint)_buffers.Base);
        Dma(AxiDmaRegisters.Mm2sLength, (uint)inBytes);

        await WaitAsync(cancellationToken);
        var cycles = Read(R.Cycles);
        var output = new byte[outBytes];
        _ddr.Read(DdrOffset(outAddress), output);
        return spec.Output == ConvOutputMode.Raw
            ? (null, TensorBytes.DecodeRaw(output), cycles)
            : (TensorBytes.Decode(output, width), null, cycles);
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
