using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The fast CPU convolution: bit-exact with <see cref="ConvReference"/>, SIMD (AVX-512, AVX-VNNI, AVX2,
/// or portable Vector128 for ARM), multi-threaded, with no allocation in its loops. It is the fallback
/// when no partition can take a job and the engine of the simulated board.
/// </summary>
/// <remarks>
/// int8/int16 run on Int16 pairs (<c>pmaddwd</c>) summed in Int32 for as many input channels as the
/// job's actual value bounds prove cannot overflow, then flushed to Int64; int32 runs on Int64 lanes
/// (<c>vpmuldq</c>), which wrap exactly as docs/convolution.md defines.
/// </remarks>
public sealed class ConvKernel
{
    /// <summary>Below this many multiply-accumulates a job runs on one thread: waking a second costs more.</summary>
    private const long ParallelThreshold = 1 << 17;

    public ConvKernel(int threads = 0)
        : this(threads, ConvIsa.Auto)
    {
    }

    internal ConvKernel(int threads, ConvIsa isa)
    {
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

    private void RunPairs<TVec, TLanes>(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TLanes : IConvLanes<TVec, int>
    {
        var g = ConvGeometry.Of(problem, 2 * TLanes.Count);
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
        // Largest |pair sum| per input channel decides how many channels an Int32 lane can hold.
        var perChannel = taps * 2 * problem.InputMaxAbs * problem.WeightMaxAbs;
        PairDigit[] digits;
        int[] shifts;
        if (perChannel <= int.MaxValue)
        {
            digits = [PairDigit.Full];
            shifts = [0];
        }
        else
        {
            digits = [PairDigit.Low, PairDigit.High];
            shifts = [0, 8];
            perChannel = taps * 2 * 255 * problem.WeightMaxAbs;
        }
        var chunk = perChannel == 0 ? g.Cin : (int)Math.Min(g.Cin, int.MaxValue / perChannel);
        var digitSize = g.S * g.Cin * g.PlaneStride;
        var planes = ArrayPool<int>.Shared.Rent(digits.Length * digitSize);
        var weights = ArrayPool<int>.Shared.Rent(g.Cout * g.Cin * taps);
        try
        {
            ConvPacking.PackPairWeights(problem, weights);
            var run = new ConvRun<int>
            {
                Problem = problem, Geometry = g, Planes = planes, Weights = weights, Taps = taps, TapOffsets = offsets,
                DigitSize = digitSize, DigitShifts = shifts, ChunkChannels = chunk, Requantized = requantized, Raw = raw,
            };
            for (var n = 0; n < g.N; n++)
            {
                var image = n;
                Parallel(problem, g.Cin, (start, end) =>
                {
                    for (var ci = start; ci < end; ci++)
                    {
                        ConvPacking.PackPairs(run, digits, image, ci);
                    }
                });
                Parallel(problem, run.Items, (start, end) => TiledConvolution<TVec, int, TLanes>.Compute(run, image, start, end));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(planes);
            ArrayPool<int>.Shared.Return(weights);
        }
    }

    private void RunWide<TVec, TLanes>(ConvProblem problem, Memory<int> requantized, Memory<long> raw)
        where TVec : struct
        where TLanes : IConvLanes<TVec, long>
    {
        var g = ConvGeometry.Of(problem, 2 * TLanes.Count);
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
        var planes = ArrayPool<long>.Shared.Rent(size);
        var weights = ArrayPool<long>.Shared.Rent(g.Cout * g.Cin * taps);
        try
        {
            ConvPacking.PackWideWeights(problem, weights);
            var run = new ConvRun<long>
            {
                Problem = problem, Geometry = g, Planes = planes, Weights = weights, Taps = taps, TapOffsets = offsets,
                DigitSize = size, DigitShifts = [0], ChunkChannels = g.Cin, Requantized = requantized, Raw = raw,
            };
            for (var n = 0; n < g.N; n++)
            {
                var image = n;
                Parallel(problem, g.Cin, (start, end) =>
                {
                    for (var ci = start; ci < end; ci++)
                    {
                        ConvPacking.PackWide(run, image, ci);
                    }
                });
                Parallel(problem, run.Items, (start, end) => TiledConvolution<TVec, long, TLanes>.Compute(run, image, start, end));
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(planes);
            ArrayPool<long>.Shared.Return(weights);
        }
    }

    /// <summary>Splits [0, items) into one contiguous range per thread.</summary>
    private void Parallel(ConvProblem problem, int items, Action<int, int> body)
    {
        var workers = problem.MultiplyAccumulates / problem.InputShape.N < ParallelThreshold ? 1 : Math.Min(Threads, items);
        if (workers <= 1)
        {
            body(0, items);
            return;
        }
        System.Threading.Tasks.Parallel.For(
            0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
            w => body((int)((long)w * items / workers), (int)((long)(w + 1) * items / workers)));
    }
}
