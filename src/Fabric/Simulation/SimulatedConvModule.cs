using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// The convolution module as the simulated partition holds it: register map 2.0 of
/// <c>hardware/register-map.json</c> as hardware/rtl/conv_rm.v implements it — CIN input channels in NHWC
/// and a group of COUT ≤ PO output channels per pass, the weight memory loaded over the stream
/// (<c>CTRL.LOAD_WEIGHTS</c>) or, for a single channel, through the WEIGHT registers, one Int64 bias per
/// channel of the group, the sum over CIN, the bias and the requantization in the module — with input
/// from and output to the partition's AXI DMA stream a strip of rows at a time
/// (<see cref="StripConvolution"/>), the numbers of the fast kernel (bit-exact with the reference), and the
/// cycles of our RTL (<see cref="RtlCycleModel"/>) charged at the fabric clock. Whatever the simulated
/// device has in the partition decides what answers: nothing (an access error) when it is empty or
/// decoupled, garbage results when its frames are corrupt.
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
    /// <summary>The module whose registers and weight memory this holds: another one loaded starts from their reset values.</summary>
    private ConvModule? _state;
    /// <summary>The weight memory: ceil(MAX_CIN / PI) words of PO x PI x K x K elements (lane ((o·PI + i)·K² + t)).</summary>
    private int[] _weights = [];
    /// <summary>Each module's weight memory, kept across loads and cleared at each (a swap allocated it anew: 40 KB of garbage per swap).</summary>
    private readonly Dictionary<ConvModule, int[]> _weightMemories = [];
    private bool _streamed;
    private bool _started;
    private bool _loading;

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
            var module = _device.ModuleIn(_partition) is { } name && ConvModule.TryResolve(name, out var resolved)
                ? resolved
                : _device.IsCorrupt(_partition)
                    ? ConvModule.All[0]
                    : throw new MmioException(BaseAddress, $"no convolution module answers in partition '{_partition.Name}'");
            if (module != _state)
            {
                Reset(module);
            }
            return module;
        }
    }

    /// <summary>A module just configured: its registers at their reset values (register-map.json) and its weight memory zero.</summary>
    private void Reset(ConvModule module)
    {
        for (var offset = 0; offset < R.BiasBase + (R.BiasStride * R.BiasCount); offset += 4)
        {
            Store(offset, 0);
        }
        Store(R.Frames, 1);
        Store(R.Config, 1);
        Store(R.Cin, 1);
        Store(R.Cout, 1);
        var lanes = ConvParallelism.For(module);
        if (_weightMemories.TryGetValue(module, out var memory))
        {
            Array.Clear(memory);
        }
        else
        {
            _weightMemories[module] = memory = new int[lanes.Chunks(lanes.MaxInputChannels) * lanes.WordElements(module)];
        }
        _weights = memory;
        (_state, _started, _loading) = (module, false, false);
    }

    protected override uint OnRead(long offset, uint stored)
    {
        var module = Loaded;
        return (int)offset switch
        {
            R.Id => R.IdFor(module),
            R.Version => R.VersionValue,
            R.Caps => ConvParallelism.For(module).Caps(module),
            R.Caps2 => ConvParallelism.For(module).Caps2,
            R.OutW => (uint)OutputSize(module, Stored(R.ImgW)),
            R.OutH => (uint)OutputSize(module, Stored(R.ImgH)),
            R.BiasLo => Stored(R.BiasBase),
            R.BiasHi => Stored(R.BiasBase + R.BiasStride),
            R.Ctrl => 0,
            >= R.WeightBase => 0,
            _ => stored,
        };
    }

    protected override void OnWrite(long offset, uint value)
    {
        var module = Loaded;
        var lanes = ConvParallelism.For(module);
        switch ((int)offset)
        {
            case R.Ctrl when _started || _loading:
                // BUSY: the RTL ignores CTRL until the batch or the upload is done.
                break;
            case R.Ctrl when (value & (1u << R.CtrlStartLsb)) != 0:
                Store(R.Status, 1u << R.StatusBusyLsb);
                _started = true;
                TryRun();
                break;
            case R.Ctrl when (value & (1u << R.CtrlLoadWeightsLsb)) != 0:
                if (ChannelError(module) is not null)
                {
                    Store(R.Status, 1u << R.StatusErrorLsb);
                    break;
                }
                Store(R.Status, 1u << R.StatusBusyLsb);
                _loading = true;
                TryRun();
                break;
            case R.Status:
                Store(R.Status, Stored(R.Status) & ~(value & ((1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb))));
                break;
            case R.BiasLo:
                Store(R.BiasBase, value);
                break;
            case R.BiasHi:
                Store(R.BiasBase + R.BiasStride, value);
                break;
            case R.Cin:
                Store(offset, value & 0xFFFF);
                break;
            case R.Cout:
                Store(offset, value & 0xFF);
                break;
            case >= R.WeightBase and < R.WeightBase + (R.WeightStride * R.WeightCount):
                // The single-channel form: tap t of weight word 0, the low P bits (register-map.json, WEIGHT).
                var tap = ((int)offset - R.WeightBase) / R.WeightStride;
                if (tap < module.KernelSize * module.KernelSize)
                {
                    var shift = 32 - module.Bits;
                    _weights[tap] = (int)(value << shift) >> shift;
                }
                break;
            case >= R.BiasBase and < R.BiasBase + (R.BiasStride * R.BiasCount):
                if (offset < R.BiasBase + (R.BiasStride * 2 * lanes.OutputLanes))
                {
                    Store(offset, value);
                }
                break;
            case R.Id or R.Version or R.Caps or R.Caps2 or R.OutW or R.OutH or R.Cycles:
                break;
            default:
                Store(offset, value);
                break;
        }
    }

    /// <summary>Why CIN and COUT are refused (the RTL's chans_ok), or null.</summary>
    private string? ChannelError(ConvModule module)
    {
        var lanes = ConvParallelism.For(module);
        var (cin, cout) = (Stored(R.Cin), Stored(R.Cout));
        return cin < 1 || cin > lanes.MaxInputChannels
            ? $"CIN {cin} is outside 1 .. {lanes.MaxInputChannels} (CAPS2.MAX_CIN)"
            : cout < 1 || cout > lanes.OutputLanes ? $"COUT {cout} is outside 1 .. {lanes.OutputLanes} (CAPS2.PO)" : null;
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
        if (_loading && _streamed)
        {
            (_loading, _streamed) = (false, false);
            LoadWeights(Loaded);
            return;
        }
        if (!_started || !_streamed || _dma.S2mmCapacity is null)
        {
            return;
        }
        var module = Loaded;
        _started = false;
        _streamed = false;
        ConvSpec spec;
        TensorShape frames;
        int cout;
        try
        {
            (spec, frames, cout) = Configuration(module);
        }
        catch (ConvolutionException)
        {
            Store(R.Status, 1u << R.StatusErrorLsb);
            return;
        }
        var k = module.KernelSize;
        var lanes = ConvParallelism.For(module);
        var elements = lanes.WordElements(module);
        var weights = new int[cout * frames.C * k * k];
        var bias = new long[cout];
        for (var o = 0; o < cout; o++)
        {
            for (var c = 0; c < frames.C; c++)
            {
                var lane = (c / lanes.InputLanes * elements) + (((o * lanes.InputLanes) + (c % lanes.InputLanes)) * k * k);
                _weights.AsSpan(lane, k * k).CopyTo(weights.AsSpan(((o * frames.C) + c) * k * k));
            }
            var at = R.BiasBase + (2 * R.BiasStride * o);
            bias[o] = (long)(((ulong)Stored(at + R.BiasStride) << 32) | Stored(at));
        }
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
        var macs = (long)frames.N * spec.OutputSize(frames.H) * spec.OutputSize(frames.W) * k * k * frames.C * cout;
        var cycles = _throughput is null
            ? RtlCycleModel.PassCycles(spec, frames, cout)
            : _throughput.Cycles(macs, module.Bits, _device.Board.FabricClockMHz);
        Store(R.Cycles, (uint)Math.Min(uint.MaxValue, cycles));
        if (complete)
        {
            _dma.Complete();
        }
        Store(R.Status, 1u << R.StatusDoneLsb);
    }

    /// <summary>
    /// CTRL.LOAD_WEIGHTS: ceil(CIN / PI) words of ceil(PO·PI·K²·P / 64) beats from the stream into the
    /// weight memory (docs/register-map.md, "Weight upload"). The RTL would wait for beats that never come;
    /// the simulation refuses a stream too short for them with STATUS.ERROR instead of hanging.
    /// </summary>
    private void LoadWeights(ConvModule module)
    {
        var lanes = ConvParallelism.For(module);
        var cin = (int)Stored(R.Cin);
        var words = lanes.Chunks(cin);
        var elements = lanes.WordElements(module);
        Span<byte> word = stackalloc byte[lanes.BeatsPerWeightWord(module) * 8];
        if ((long)words * word.Length > _dma.Mm2sRemaining)
        {
            Store(R.Status, 1u << R.StatusErrorLsb);
            return;
        }
        for (var q = 0; q < words; q++)
        {
            _dma.ReadStream(word);
            for (var e = 0; e < elements; e++)
            {
                _weights[(q * elements) + e] = TensorBytes.Read(word, e, module.Bits / 8);
            }
        }
        Store(R.Cycles, (uint)RtlCycleModel.WeightUploadCycles(module, cin));
        Store(R.Status, 1u << R.StatusDoneLsb);
    }

    /// <summary>The spec, the [N, CIN, H, W] frames and COUT the registers configure, checked as the RTL does (cfg_ok) and against the stream's length.</summary>
    private (ConvSpec Spec, TensorShape Frames, int Cout) Configuration(ConvModule module)
    {
        if (ChannelError(module) is { } error)
        {
            throw new ConvolutionException("channels", error);
        }
        var spec = Spec(module);
        var lanes = ConvParallelism.For(module);
        var (cin, cout) = ((int)Stored(R.Cin), (int)Stored(R.Cout));
        var frames = new TensorShape((int)Stored(R.Frames), cin, (int)Stored(R.ImgH), (int)Stored(R.ImgW));
        ConvProblem.CheckShapes(spec, frames, new TensorShape(cout, cin, module.KernelSize, module.KernelSize), cout);
        if ((long)frames.W * lanes.Chunks(cin) > R.MaxWidth(module.KernelSize))
        {
            // As the RTL: a row of chunks longer than the line buffer is refused with STATUS.ERROR (cfg_ok).
            throw new ConvolutionException("input.shape", $"IMG_W {frames.W} x ceil(CIN / PI) {lanes.Chunks(cin)} is over CAPS.MAX_WIDTH {R.MaxWidth(module.KernelSize)}");
        }
        var bytes = frames.Count * (module.Bits / 8);
        if (bytes > _dma.Mm2sRemaining)
        {
            throw new ConvolutionException("input.shape", $"the stream carries {_dma.Mm2sRemaining} bytes, {frames.Count} elements of {module.Bits / 8} bytes were configured");
        }
        return (spec, frames, cout);
    }
}
