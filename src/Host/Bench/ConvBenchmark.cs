using System.Globalization;
using Dpr.Fabric.Convolution;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench conv</c>: GOPS (2 ops per multiply-accumulate, single image) of the reference, the fast
/// kernel, ONNX Runtime int8 <c>ConvInteger</c> and ONNX Runtime float <c>Conv</c>, side by side, for
/// single-channel 224x224 images under each module and for the <see cref="CnnWorkload"/> layers.
/// </summary>
public sealed class ConvBenchmark : IBenchmark
{
    /// <summary>The fast kernel and ONNX Runtime get the same number of threads.</summary>
    private const int Threads = 2;

    public string Name => "conv";

    public string Description => "Convolution GOPS: reference, fast kernel, ONNX Runtime ConvInteger and float Conv.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var budget = quick ? 0.15 : 1.0;
        var kernel = new ConvKernel(Threads);
        var clockGhz = ClockGhz();
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        var measured = new List<Measured>();
        foreach (var (workload, problem) in Workloads())
        {
            console.MarkupLineInterpolated($"[grey]{workload} {problem.Spec.Module.Name}[/]");
            var m = Measure(workload, problem, kernel, budget, quick);
            measured.Add(m);
            rows.Add(Row(m, kernel, clockGhz));
        }
        return new BenchReport(Name, MachineInfo.Current(), rows, Goals(measured));
    }

    private static IEnumerable<(string Workload, ConvProblem Problem)> Workloads()
    {
        var image = new TensorShape(1, 1, 224, 224);
        foreach (var module in ConvModule.All)
        {
            // The paper's convolution unit: one channel, one kernel, same size out; shift as CnnWorkload's first layers.
            var layer = new CnnLayer($"image224.{module.Name}", module, image, 1, 1, ConvPadding.Same, module.Bits - 2);
            yield return ("224x224x1", CnnWorkload.Problem(layer));
        }
        foreach (var layer in CnnWorkload.All)
        {
            yield return ($"{layer.Name} {layer.Input.C}x{layer.Input.H}x{layer.Input.W}->{layer.Cout}x{layer.Output.H}x{layer.Output.W} s{layer.Stride}", CnnWorkload.Problem(layer));
        }
    }

    private static Measured Measure(string workload, ConvProblem problem, ConvKernel kernel, double budget, bool quick)
    {
        var output = new int[problem.OutputShape.Count];
        int[]? reference = null;
        var referenceSeconds = MedianSeconds(() => reference = ConvReference.Requantized(problem), budget / 2, quick ? 1 : 3);
        var fastSeconds = MedianSeconds(() => kernel.Convolve(problem, output), budget, 10);
        var exact = reference!.AsSpan().SequenceEqual(output);
        double? onnxInt8 = null;
        if (problem.Spec.Module.Precision == ConvPrecision.Int8)
        {
            using var session = OnnxConvSession.ConvInteger(problem, Threads);
            onnxInt8 = MedianSeconds(session.Run, budget, 10);
        }
        double onnxFloat;
        using (var session = OnnxConvSession.FloatConv(problem, Threads))
        {
            onnxFloat = MedianSeconds(session.Run, budget, 10);
        }
        return new Measured(workload, problem, referenceSeconds, fastSeconds, onnxInt8, onnxFloat, exact);
    }

    private static double MedianSeconds(Action run, double budgetSeconds, int minRuns) =>
        Bench.Measure.Median(run, TimeSpan.FromSeconds(budgetSeconds), minRuns).TotalSeconds;

    private static Dictionary<string, object?> Row(Measured m, ConvKernel kernel, double? clockGhz)
    {
        var module = m.Problem.Spec.Module;
        var row = new Dictionary<string, object?>
        {
            ["workload"] = m.Workload,
            ["module"] = module.Name.Value,
            ["MMAC"] = m.Problem.MultiplyAccumulates / 1e6,
            ["reference GOPS"] = m.Gops(m.ReferenceSeconds),
            ["fast GOPS"] = m.Gops(m.FastSeconds),
            ["ORT ConvInteger GOPS"] = m.OnnxInt8Seconds is { } i8 ? m.Gops(i8) : null,
            ["ORT float Conv GOPS"] = m.Gops(m.OnnxFloatSeconds),
            ["fast/ref"] = m.ReferenceSeconds / m.FastSeconds,
            ["fast/ORT int8"] = m.OnnxInt8Seconds is { } s ? s / m.FastSeconds : null,
            ["fast/ORT float"] = m.OnnxFloatSeconds / m.FastSeconds,
            ["fast % peak"] = clockGhz is { } ghz ? 100 * m.Gops(m.FastSeconds) / PeakGops(module, kernel, ghz) : null,
            ["fast µs"] = m.FastSeconds * 1e6,
            ["bit-exact"] = m.Exact ? "yes" : "NO",
            ["isa"] = kernel.InstructionSet,
            ["threads (fast, ORT)"] = $"{Threads}, {Threads}",
        };
        return row;
    }

    /// <summary>
    /// cores × multiply lanes per SIMD instruction × 1 instruction per cycle × clock × 2 ops: the ceiling
    /// of the instruction the fast kernel uses (int8/int16: pmaddwd, 2 Int16 multiplies per Int32 lane;
    /// int32: vpmuldq, 1 per Int64 lane), at the clock /proc/cpuinfo reports.
    /// </summary>
    private static double PeakGops(ConvModule module, ConvKernel kernel, double clockGhz)
    {
        var vectorBits = kernel.InstructionSet switch
        {
            "Avx512" => 512,
            "Avx2" or "AvxVnni" => 256,
            _ => 128,
        };
        var lanes = module.Precision == ConvPrecision.Int32 ? vectorBits / 64 : vectorBits / 16;
        return Environment.ProcessorCount * lanes * clockGhz * 2;
    }

    private static double? ClockGhz()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
            return line is null ? null : double.Parse(line.Split(':', 2)[1], CultureInfo.InvariantCulture) / 1000;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<BenchGoal> Goals(List<Measured> all)
    {
        static double GeoMean(IEnumerable<double> values)
        {
            var list = values.ToList();
            return list.Count == 0 ? double.NaN : Math.Exp(list.Average(Math.Log));
        }

        var int8 = all.Where(m => m.OnnxInt8Seconds is not null).ToList();
        var int16 = all.Where(m => m.Problem.Spec.Module.Precision == ConvPrecision.Int16).ToList();
        return
        [
            BenchGoal.AtLeast("fast / ORT ConvInteger, int8 (geometric mean)", 1.0, GeoMean(int8.Select(m => m.OnnxInt8Seconds!.Value / m.FastSeconds)), "x"),
            BenchGoal.AtLeast("fast / ORT ConvInteger, int8 (worst workload)", 1.0, int8.Min(m => m.OnnxInt8Seconds!.Value / m.FastSeconds), "x"),
            BenchGoal.AtLeast("fast int16 / ORT float Conv (geometric mean)", 1.0, GeoMean(int16.Select(m => m.OnnxFloatSeconds / m.FastSeconds)), "x"),
            BenchGoal.AtLeast("fast int16 / ORT float Conv (worst workload)", 1.0, int16.Min(m => m.OnnxFloatSeconds / m.FastSeconds), "x"),
            BenchGoal.AtLeast("fast / reference (worst workload)", 50, all.Min(m => m.ReferenceSeconds / m.FastSeconds), "x"),
            BenchGoal.AtLeast("fast bit-exact with reference (workloads)", all.Count, all.Count(m => m.Exact), "count"),
        ];
    }

    private sealed record Measured(
        string Workload, ConvProblem Problem, double ReferenceSeconds, double FastSeconds, double? OnnxInt8Seconds,
        double OnnxFloatSeconds, bool Exact)
    {
        public double Gops(double seconds) => 2.0 * Problem.MultiplyAccumulates / seconds / 1e9;
    }
}
