using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The fast CPU convolution: bit-exact with <see cref="ConvReference"/>, SIMD (AVX-512, AVX-VNNI, AVX2,
/// or portable Vector128 for ARM), multi-threaded, with no allocation in its loops. It is the fallback
/// when no partition can take a job and the engine of the simulated board.
/// </summary>
/// <remarks>
/// int8/int16 run on Int16 pairs (<c>pmaddwd</c>) summed in Int32 for as many steps as the job's
/// actual value bounds prove cannot overflow, then flushed to Int64; full-range int16 keeps split
/// pair sums (<see cref="SplitPairSums{TVec, TLanes}"/>) or, where a pair sum can reach 2^31, 8-bit
/// digits. int32 runs on Int64 lanes (<c>vpmuldq</c>), which wrap exactly as docs/convolution.md
/// defines. Lanes hold output positions of a channel (<see cref="TiledConvolution{TVec, TElem, TLanes}"/>)
/// or output channels of a position (<see cref="ChannelConvolution{TVec, TElem, TLanes}"/>); int32 spatial
/// jobs (and full-range int16 ones) on AVX-512 run <see cref="AlignedWideConvolution"/>, 16 positions of a row per 512-bit load.
/// </remarks>
public sealed class ConvKernel
{
    /// <summary>
    /// Below this much work per image (see <see cref="Work"/>) a job runs on one thread: waking a second
    /// and joining it costs more than it saves. On the quiet 2-core development guest every job that takes
    /// under about 75 µs on one thread ran up to twice as fast whole (the 224x224 single-channel jobs,
    /// cifar.conv1 and conv2), and the larger ones (cifar.conv3 to conv5) faster split; docs/benchmarks/conv.md.
    /// </summary>
    private const long ParallelThreshold = 4_500_000;

    /// <summary>What one output costs besides its multiplies (packing, Int64 flush, requantization), in multiply-accumulates.</summary>
    private const long OutputCost = 32;

    /// <summary>
    /// A channel-layout image of fewer values than this packs in a few microseconds on one thread; handing
    /// rows to a second thread and joining it cost more (a 3-channel 32x32 first layer packs 3,468 values).
    /// </summary>
    private const long ParallelPackingThreshold = 1 << 16;

    public ConvKernel(int threads = 0)
        : this(threads, ConvIsa.Auto)
    {
    }

    internal ConvKernel(int threads, ConvIsa isa, ConvLayout layout = ConvLayout.Auto)
    {
        Layout = layout;
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        Isa = isa == ConvIsa.Auto ? Best() : isa;
        if (!IsSupported(Isa))
        {
            throw new PlatformNotSupportedException($"this CPU does not support the {Isa} convolution path");
        }
    }

    public int Threads { get; }

    /// <summary>The instruction set this kernel runs on, for reports.</summary>
    public string InstructionSet => Isa.ToString();

    internal ConvIsa Isa { get; }

    internal ConvLayout Layout { get; }

    internal static bool IsSupported(ConvIsa isa) => isa switch
    {
        ConvIsa.Auto or ConvIsa.Portable => true,
        ConvIsa.Avx2 => Avx2.IsSupported,
        ConvIsa.AvxVnni => AvxVnni.IsSupported && Avx2.IsSupported,
        ConvIsa.Avx512 => Avx512BW.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    public int[] Requantized(ConvProblem problem)
    {
        var output = new int[problem.OutputShape.Count];
        Convolve(problem, output);
        return output;
    }

    public long[] Raw(ConvProblem problem)
    {
        var output = new long[problem.OutputShape.Count];
        ConvolveRaw(problem, output);
        return output;
    }

    /// <summary>Requantized output into <paramref name="output"/>, which must hold the output shape exactly.</summary>
    public void Convolve(ConvProblem problem, Memory<int> output)
    {
        RequireOutput(problem, ConvOutputMode.Requantized, output.Length);
        Dispatch(problem, output, Memory<long>.Empty);
    }

    /// <summary>Raw Int64 accumulators into <paramref name="output"/>, which must hold the output shape exactly.</summary>
    public void ConvolveRaw(ConvProblem problem, Memory<long> output)
    {
        RequireOutput(problem, ConvOutputMode.Raw, output.Length);
        Dispatch(problem, Memory<int>.Empty, output);
    }

    private static ConvIsa Best() =>
        IsSupported(ConvIsa.Avx512) ? ConvIsa.Avx512
        : IsSupported(ConvIsa.AvxVnni) ? ConvIsa.AvxVnni
        : IsSupported(ConvIsa.Avx2) ? ConvIsa.Avx2
        : ConvIsa.Portable;

    private static void RequireOutput(ConvProblem problem, ConvOutputMode mode, int length)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Spec.Output != mode)
        {
            throw new ConvolutionException("output", $"the job asks for {problem.Spec.Output} output, not {mode}");
        }
        if (length != problem.OutputShape.Count)
        {
            throw new ArgumentException($"output holds {length} values, the job produces {problem.OutputShape.Count}", nameof(length));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Dispatch(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
    {
        if (problem.Spec.Module.Precision == ConvPrecision.Int32)
        {
            switch (Isa)
            {
                case ConvIsa.Avx512:
                    RunWide<Vector512<long>, Avx512WideLanes>(problem, requantized, raw);
                    break;
                case ConvIsa.Avx2 or ConvIsa.AvxVnni:
                    RunWide<Vector256<long>, Avx2WideLanes>(problem, requantized, raw);
                    break;
                default:
                    RunWide<Vector128<long>, PortableWideLanes>(problem, requantized, raw);
                    break;
            }
            return;
        }
        switch (Isa)
        {
            case ConvIsa.Avx512:
                RunPairs<Vector512<int>, Avx512PairLanes>(problem, requantized, raw);
                break;
            case ConvIsa.AvxVnni:
                RunPairs<Vector256<int>, AvxVnniPairLanes>(problem, requantized, raw);
                break;
            case ConvIsa.Avx2:
                RunPairs<Vector256<int>, Avx2PairLanes>(problem, requantized, raw);
                break;
            default:
                RunPairs<Vector128<int>, PortablePairLanes>(problem, requantized, raw);
                break;
        }
    }

    /// <summary>Below this many steps per output (<see cref="ChannelGeometry.Steps"/>) channel tiles spend more on their epilogue than on multiplies.</summary>
    private const int MinChannelSteps = 32;

    /// <summary>
    /// Channel lanes once the output channels fill a vector and either each output has enough steps to pay
    /// for the channel epilogue (a transpose to NCHW) or the spatial layout would need two passes (full-range
    /// int16, as in a 3-channel first layer: its 4-channel block has no registers for split sums, while the
    /// channel tile sums in one pass): then no lane computes a padding column, and a zero tap only where a
    /// window row, K·Cin values, is odd. Otherwise (a single-channel image, few outputs, int8 or int32 first
    /// layers) spatial lanes, whose only waste is the padding columns of each row and, for pairs, the zero
    /// tap of odd K.
    /// </summary>
    private bool UseChannels(ConvProblem problem, int lanes, int perElement, bool spatialOnePass = true) => Layout switch
    {
        ConvLayout.Channel => true,
        ConvLayout.Spatial => false,
        _ => problem.OutputShape.C >= lanes
            && (ChannelGeometry.Of(problem, lanes, perElement).Steps >= MinChannelSteps || !spatialOnePass),
    };

    /// <summary>Largest |pair sum| of one input channel in the spatial layout: above Int32 it needs two digit passes or split sums.</summary>
    private static long SpatialPairBound(ConvProblem problem)
    {
        var k = problem.Spec.KernelSize;
        return k * ConvPacking.Pairs(k) * 2 * problem.InputMaxAbs * problem.WeightMaxAbs;
    }

    private void RunPairs<TVec, TLanes>(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TLanes : IPairLanes<TVec>
    {
        if (UseChannels(problem, TLanes.Count, ChannelPairPacking.PerElement, SpatialPairBound(problem) <= int.MaxValue))
        {
            var g = ChannelGeometry.Of(problem, TLanes.Count, ChannelPairPacking.PerElement);
            var weights = problem.PackedWeights((ConvLayout.Channel, TLanes.Count), p => ChannelGeometry.Of(p, TLanes.Count, ChannelPairPacking.PerElement).PackWeights(p));
            var plan = ChannelPairPacking.Plan(problem, g, weights);
            if (plan.SplitSums && plan.ChunkSteps >= g.Steps && SplitBias.Applies(problem.Spec, g.Steps, problem.Bias.Span))
            {
                RunChannels<TVec, int, TLanes, ChannelPairPacking, SplitBiasPairSums<TVec, TLanes>>(problem, g, weights, plan, requantized, raw);
            }
            else if (plan.SplitSums)
            {
                RunChannels<TVec, int, TLanes, ChannelPairPacking, SplitPairSums<TVec, TLanes>>(problem, g, weights, plan, requantized, raw);
            }
            else
            {
                RunChannels<TVec, int, TLanes, ChannelPairPacking, LaneSums<TVec, int, TLanes>>(problem, g, weights, plan, requantized, raw);
            }
        }
        else if (Isa == ConvIsa.Avx512 && SpatialPairBound(problem) > int.MaxValue)
        {
            // Full-range int16: pair sums past Int32 take split sums or two digit passes, four operations per 32
            // products; the int32 kernel's Int64 sums of 16 positions per load, its column shifts in registers and
            // its finish in registers were measured faster (224x224 conv3x3_int16, docs/benchmarks/conv.md).
            RunSpatialWide<Vector512<long>, Avx512WideLanes>(problem, requantized, raw);
        }
        else
        {
            RunSpatialPairs<TVec, TLanes>(problem, requantized, raw);
        }
    }

    private void RunWide<TVec, TLanes>(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TLanes : IConvLanes<TVec, int>
    {
        if (UseChannels(problem, TLanes.Count, ChannelWidePacking.PerElement))
        {
            var g = ChannelGeometry.Of(problem, TLanes.Count, ChannelWidePacking.PerElement);
            var weights = problem.PackedWeights((ConvLayout.Channel, TLanes.Count), p => ChannelGeometry.Of(p, TLanes.Count, ChannelWidePacking.PerElement).PackWeights(p));
            RunChannels<TVec, int, TLanes, ChannelWidePacking, LaneSums<TVec, int, TLanes>>(problem, g, weights, ChannelWidePacking.Plan(problem, g, weights), requantized, raw);
        }
        else
        {
            RunSpatialWide<TVec, TLanes>(problem, requantized, raw);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunChannels<TVec, TElem, TLanes, TPacking, TAcc>(
        ConvProblem problem, ChannelGeometry g, TElem[] weights, ChannelPlan plan, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TElem : unmanaged
        where TLanes : IConvLanes<TVec, TElem>
        where TPacking : IChannelPacking<TElem>
        where TAcc : IAccumulator<TVec, TElem>
    {
        var bias = new long[g.Blocks * g.Lanes];
        problem.Bias.Span.CopyTo(bias);
        if (TAcc.EncodedBias)
        {
            TAcc.EncodeBias(bias, g.Lanes, problem.Spec.Shift);
        }
        var digits = plan.Digits;
        // The portable path (ARM) packs with the scalar loop; the tests run it on x86 too.
        var transpose = Isa != ConvIsa.Portable;
        var input = ArrayPool<TElem>.Shared.Rent(digits.Length * g.ImageSize);
        try
        {
            var run = new ChannelRun<TElem>
            {
                Problem = problem, Geometry = g, Input = input, Weights = weights, StepOffsets = g.StepOffsets(),
                DigitShifts = plan.Shifts, ChunkSteps = plan.ChunkSteps, Bias = bias, Requantized = requantized, Raw = raw,
            };
            for (var n = 0; n < g.N; n++)
            {
                var image = n;
                var packing = (long)g.Hp * g.Wp * g.Cin * digits.Length < ParallelPackingThreshold ? 1 : Math.Min(Threads, g.Hp);
                WorkSplit.Run(packing, g.Hp, (start, end) =>
                {
                    for (var d = 0; d < digits.Length; d++)
                    {
                        TPacking.PackInput(problem, g, digits[d], image, start, end, input.AsSpan(d * g.ImageSize, g.ImageSize), transpose);
                    }
                });
                Parallel(problem, g.Items, (start, end) => ChannelConvolution<TVec, TElem, TLanes>.Compute<TAcc>(run, image, start, end));
            }
        }
        finally
        {
            ArrayPool<TElem>.Shared.Return(input);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunSpatialPairs<TVec, TLanes>(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TLanes : IPairLanes<TVec>
    {
        var g = ConvGeometry.Of(problem, TiledConvolution<TVec, int, TLanes>.TilePositions(problem));
        var pairs = ConvPacking.Pairs(g.K);
        var taps = g.K * pairs;
        var offsets = new int[taps];
        for (var ky = 0; ky < g.K; ky++)
        {
            for (var kp = 0; kp < pairs; kp++)
            {
                offsets[ky * pairs + kp] = ky % g.S * g.Cin * g.PlaneStride + ky / g.S * g.Wq + 2 * kp / g.S;
            }
        }
        var weights = problem.PackedWeights((ConvLayout.Spatial, 0), ConvPacking.PackPairWeights);
        // Largest |pair sum| per input channel decides how many channels an Int32 lane can hold.
        var perChannel = SpatialPairBound(problem);
        PairDigit[] digits = [PairDigit.Full];
        int[] shifts = [0];
        // Jobs of 1–3 output channels run one channel per register tile, which has the registers for split sums.
        var split = perChannel > int.MaxValue && problem.OutputShape.C < ConvRun<int>.Block && SplitPairSums.Applies(problem, weights);
        if (perChannel > int.MaxValue && !split)
        {
            digits = [PairDigit.Low, PairDigit.High];
            shifts = [0, 8];
            perChannel = taps * 2 * 255 * problem.WeightMaxAbs;
        }
        var chunk = split ? Math.Max(1, Math.Min(g.Cin, SplitPairSums.MaxSteps / taps))
            : perChannel == 0 ? g.Cin
            : (int)Math.Min(g.Cin, int.MaxValue / perChannel);
        var digitSize = g.S * g.Cin * g.PlaneStride;
        var planes = ArrayPool<int>.Shared.Rent(digits.Length * digitSize);
        try
        {
            var run = new ConvRun<int>
            {
                Problem = problem, Geometry = g, Planes = planes, Weights = weights, Taps = taps, TapOffsets = offsets,
                DigitSize = digitSize, DigitShifts = shifts, ChunkChannels = chunk, Requantized = requantized, Raw = raw,
            };
            Action<int, int, int, int> pack = (image, ci, yq0, yq1) => ConvPacking.PackPairs(run, digits, image, ci, yq0, yq1);
            // Split sums finish in registers (one digit, 1–3 output channels, all channels in one pass): in Int32 where SplitBias applies.
            if (split && SplitBias.Applies(problem.Spec, g.Cin * taps, problem.Bias.Span))
            {
                RunSpatial(run, pack, run.Items, (image, start, end) => TiledConvolution<TVec, int, TLanes>.Compute<SplitBiasPairSums<TVec, TLanes>>(run, image, start, end));
            }
            else if (split)
            {
                RunSpatial(run, pack, run.Items, (image, start, end) => TiledConvolution<TVec, int, TLanes>.Compute<SplitPairSums<TVec, TLanes>>(run, image, start, end));
            }
            // One-pass sums whose every output plus its bias fits Int32 (int8, and int16 of small values) finish in Int32.
            else if (digits.Length == 1 && chunk >= g.Cin && NarrowBias.Applies(problem.Spec, perChannel * g.Cin, problem.Bias.Span))
            {
                RunSpatial(run, pack, run.Items, (image, start, end) => TiledConvolution<TVec, int, TLanes>.Compute<NarrowBiasPairSums<TVec, TLanes>>(run, image, start, end));
            }
            else
            {
                RunSpatial(run, pack, run.Items, (image, start, end) => TiledConvolution<TVec, int, TLanes>.Compute<LaneSums<TVec, int, TLanes>>(run, image, start, end));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(planes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunSpatialWide<TVec, TLanes>(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TLanes : IConvLanes<TVec, int>
    {
        var g = ConvGeometry.Of(problem, TiledConvolution<TVec, int, TLanes>.TilePositions(problem));
        var taps = g.K * g.K;
        var offsets = new int[taps];
        for (var ky = 0; ky < g.K; ky++)
        {
            for (var kx = 0; kx < g.K; kx++)
            {
                offsets[ky * g.K + kx] = (ky % g.S * g.S + kx % g.S) * g.Cin * g.PlaneStride + ky / g.S * g.Wq + kx / g.S;
            }
        }
        var size = g.S * g.S * g.Cin * g.PlaneStride;
        var planes = ArrayPool<int>.Shared.Rent(size);
        var aligned = Isa == ConvIsa.Avx512;
        // A problem keeps one packing of its weights: the aligned kernel reads only its own.
        var weights = aligned ? [] : problem.PackedWeights((ConvLayout.Spatial, 0), ConvPacking.PackWideWeights);
        try
        {
            var run = new ConvRun<int>
            {
                Problem = problem, Geometry = g, Planes = planes, Weights = weights, Taps = taps, TapOffsets = offsets,
                DigitSize = size, DigitShifts = [0], ChunkChannels = g.Cin, Requantized = requantized, Raw = raw,
            };
            Action<int, int, int, int> pack = (image, ci, yq0, yq1) => ConvPacking.PackWide(run, image, ci, yq0, yq1);
            if (aligned)
            {
                var alignedWeights = problem.PackedWeights((ConvLayout.Spatial, AlignedWideConvolution.Lanes), AlignedWideConvolution.PackWeights);
                RunSpatial(run, pack, AlignedWideConvolution.Items(g), (image, start, end) => AlignedWideConvolution.Compute(run, alignedWeights, image, start, end));
            }
            else
            {
                RunSpatial(run, pack, run.Items, (image, start, end) => TiledConvolution<TVec, int, TLanes>.Compute<LaneSums<TVec, int, TLanes>>(run, image, start, end));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(planes);
        }
    }

    /// <summary>Per image: pack its rows (pack(image, ci, yq0, yq1)), then compute its items (compute(image, start, end)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunSpatial<TElem>(ConvRun<TElem> run, Action<int, int, int, int> pack, int items, Action<int, int, int> compute)
        where TElem : unmanaged
    {
        var g = run.Geometry;
        for (var n = 0; n < g.N; n++)
        {
            var image = n;
            Parallel(run.Problem, g.Cin * g.Hq, (start, end) => PackRows(g, start, end, (ci, yq0, yq1) => pack(image, ci, yq0, yq1)));
            Parallel(run.Problem, items, (start, end) => compute(image, start, end));
        }
    }

    /// <summary>Items [start, end) of Cin · Hq packing items (channel-major rows) as one call per channel.</summary>
    private static void PackRows(in ConvGeometry g, int start, int end, Action<int, int, int> pack)
    {
        for (var item = start; item < end;)
        {
            var ci = item / g.Hq;
            var yq0 = item - ci * g.Hq;
            var yq1 = Math.Min(g.Hq, yq0 + end - item);
            pack(ci, yq0, yq1);
            item += yq1 - yq0;
        }
    }

    /// <summary>Estimated cost of one image: its multiply-accumulates plus a fixed cost per output.</summary>
    private static long Work(ConvProblem problem) =>
        (problem.MultiplyAccumulates * MultiplyCost(problem.Spec.Module) + OutputCost * problem.OutputShape.Count) / problem.InputShape.N;

    /// <summary>An int32 multiply-accumulate costs about twice an int8 or int16 one (Int64 lanes, a quarter as many a vector).</summary>
    private static long MultiplyCost(ConvModule module) => module.Bits == 32 ? 2 : 1;

    /// <summary>Runs body over [0, items) on up to <see cref="Threads"/> threads (see <see cref="WorkSplit"/>).</summary>
    private void Parallel(ConvProblem problem, int items, Action<int, int> body) =>
        WorkSplit.Run(Work(problem) < ParallelThreshold ? 1 : Math.Min(Threads, items), items, body);
}
