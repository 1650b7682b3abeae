using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// The convolution module as the simulated partition holds it: the register map of
/// <c>hardware/register-map.json</c>, input from and output to the partition's AXI DMA stream a strip
/// of rows at a time (<see cref="StripConvolution"/>), the numbers of the fast kernel (bit-exact with
/// the reference), and the cycles charged at the fabric clock. Whatever the simulated device has in the partition decides what answers: nothing (an
/// access error) when it is empty or decoupled, garbage results when its frames are corrupt.
/// </summary>
public sealed class SimulatedConvModule : SimulatedRegisters
{
    private readonly SimulatedDevice _device;
    private readonly Partition _partition;
    private readonly SimulatedAxiDma _dma;
    private readonly Func<bool> _decoupled;
    private readonly StripConvolution _strips;
    /// <summary>Null: cycles from <see cref="RtlCycleModel"/> (our RTL's schedule); else the given throughput (the paper's, as an explicit option).</summary>
    private readonly ModuleThroughput? _throughput;
    private bool _streamed;
    private bool _started;

    public SimulatedConvModule(
        SimulatedDevice device, Partition partition, SimulatedAxiDma dma, Func<bool> decoupled, ConvKernel kernel, ModuleThroughput? throughput)
        : base(partition.ModuleAddress, partition.ModuleSpan)
    {
        _device = device;
        _partition = partition;
        _dma = dma;
        _decoupled = decoupled;
        _strips = new StripConvolution(kernel);
        _throughput = throughput;
        dma.Streamed += () =>
        {
            _streamed = true;
            TryRun();
        };
    }

    /// <summary>The module the partition holds now, or an access error as the bus would give.</summary>
    private ConvModule Loaded
    {
        get
        {
            if (_decoupled())
            {
                throw new MmioException(BaseAddress, $"partition '{_partition.Name}' is decoupled: its AXI4-Lite slave does not answer");
            }
            return _device.ModuleIn(_partition) is { } name && ConvModule.TryResolve(name, out var module)
                ? module
                : _device.IsCorrupt(_partition)
                    ? ConvModule.All[0]
                    : throw new MmioException(BaseAddress, $"no convolution module answers in partition '{_partition.Name}'");
        }
    }

    protected override uint OnRead(long offset, uint stored)
    {
        var module = Loaded;
        return (int)offset switch
        {
            R.Id => R.IdFor(module),
            R.Version => R.VersionValue,
            R.Caps => (uint)R.MaxWidth(module.KernelSize),
            R.OutW => (uint)OutputSize(module, Stored(R.ImgW)),
            R.OutH => (uint)OutputSize(module, Stored(R.ImgH)),
            R.Ctrl => 0,
            _ => stored,
        };
    }

    protected override void OnWrite(long offset, uint value)
    {
        var module = Loaded;
        switch ((int)offset)
        {
            case R.Ctrl when (value & 1) != 0:
                Store(R.Status, 1u << R.StatusBusyLsb);
                _started = true;
                TryRun();
                break;
            case R.Status:
                Store(R.Status, Stored(R.Status) & ~(value & ((1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb))));
                break;
            case >= R.WeightBase and < R.WeightBase + (R.WeightStride * R.WeightCount):
                // The low P bits are kept and read back sign-extended (register-map.json, WEIGHT).
                var shift = 32 - module.Bits;
                Store(offset, (uint)((int)(value << shift) >> shift));
                break;
            case R.Id or R.Version or R.Caps or R.OutW or R.OutH or R.Cycles:
                break;
            default:
                Store(offset, value);
                break;
        }
    }

    /// <summary>OUT_W / OUT_H: the output size of the current configuration, 0 if it is invalid or the kernel does not fit.</summary>
    private int OutputSize(ConvModule module, uint size)
    {
        try
        {
            var spec = Spec(module);
            spec.Validate();
            return Math.Max(0, spec.OutputSize((int)Math.Min(size, int.MaxValue)));
        }
        catch (ConvolutionException)
        {
            return 0;
        }
    }

    private ConvSpec Spec(ConvModule module)
    {
        var config = Stored(R.Config);
        return new ConvSpec(
            module,
            (int)(config >> R.ConfigStrideLsb) & 3,
            ((config >> R.ConfigPadSameLsb) & 1) != 0 ? ConvPadding.Same : ConvPadding.Valid,
            (int)(config >> R.ConfigShiftLsb) & 0x3F,
            ((config >> R.ConfigRawLsb) & 1) != 0 ? ConvOutputMode.Raw : ConvOutputMode.Requantized);
    }

    private void TryRun()
    {
        if (!_started || !_streamed || _dma.S2mmCapacity is null)
        {
            return;
        }
        var module = Loaded;
        _started = false;
        _streamed = false;
        ConvSpec spec;
        TensorShape frames;
        try
        {
            (spec, frames) = Configuration(module);
        }
        catch (ConvolutionException)
        {
            Store(R.Status, 1u << R.StatusErrorLsb);
            return;
        }
        var k = module.KernelSize;
        var weights = new int[k * k];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (int)Stored(R.WeightBase + (R.WeightStride * i));
        }
        var bias = (long)(((ulong)Stored(R.BiasHi) << 32) | Stored(R.BiasLo));
        var corrupt = _device.IsCorrupt(_partition);
        long written = 0;
        var complete = _strips.Run(spec, frames, weights, bias, _dma.ReadStream, bytes =>
        {
            if (corrupt)
            {
                // Logic with flipped configuration bits computes something else; model it as noise.
                for (var i = 0; i < bytes.Length; i++)
                {
                    bytes[i] ^= (byte)(0x5A + written + i);
                }
            }
            written += bytes.Length;
            return _dma.WriteStream(bytes);
        });
        var macs = (long)frames.N * spec.OutputSize(frames.H) * spec.OutputSize(frames.W) * k * k;
        var cycles = _throughput is null
            ? RtlCycleModel.PassCycles(spec, frames, groupChannels: 1)
            : _throughput.Cycles(macs, module.Bits, _device.Board.FabricClockMHz);
        Store(R.Cycles, (uint)Math.Min(uint.MaxValue, cycles));
        if (complete)
        {
            _dma.Complete();
        }
        Store(R.Status, 1u << R.StatusDoneLsb);
    }

    /// <summary>The spec and the [N, 1, H, W] frames the registers configure, checked as a job would be and against the stream's length.</summary>
    private (ConvSpec Spec, TensorShape Frames) Configuration(ConvModule module)
    {
        var spec = Spec(module);
        var frames = new TensorShape((int)Stored(R.Frames), 1, (int)Stored(R.ImgH), (int)Stored(R.ImgW));
        ConvProblem.CheckShapes(spec, frames, new TensorShape(1, 1, module.KernelSize, module.KernelSize), 1);
        if (frames.W > R.MaxWidth(module.KernelSize))
        {
            // As the RTL: a row wider than the line buffer is refused with STATUS.ERROR (cfg_ok).
            throw new ConvolutionException("input.shape", $"IMG_W {frames.W} is over CAPS.MAX_WIDTH {R.MaxWidth(module.KernelSize)}");
        }
        var bytes = frames.Count * (module.Bits / 8);
        if (bytes > _dma.Mm2sRemaining)
        {
            throw new ConvolutionException("input.shape", $"the stream carries {_dma.Mm2sRemaining} bytes, {frames.Count} elements of {module.Bits / 8} bytes were configured");
        }
        return (spec, frames);
    }
}
