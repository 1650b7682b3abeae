using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Simulation;
using Dpr.Host.Hardware;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench rtl</c>: the convolution RMs' throughput from cycle counts measured in RTL simulation
/// (Icarus Verilog, hardware/tb/tb_conv.v, every output checked against the reference) on the
/// <see cref="CnnWorkload"/> layers at 100 MHz, beside the partition's DSP ceiling, the device's and the
/// paper's figures. A layer is one weight upload and one pass per group of PO output channels: the
/// first group and, when COUT is not a multiple of PO, the last are simulated; the groups between are
/// the first one's cycles again (the RTL runs them identically). <c>--quick</c>: one small 8x8x8 layer
/// per module.
/// </summary>
public sealed class RtlBenchmark : IBenchmark
{
    /// <summary>
    /// DSP48E1s of the Pblock (hardware/vivado/pblock.xdc, clock regions X1Y1:X1Y2): two DSP columns of
    /// 20 per clock region, from the xc7z020's column layout (docs/hardware.md, "The partition").
    /// </summary>
    public const int PartitionDsps = 80;

    /// <summary>DSP48E1s of the whole xc7z020 (DS190).</summary>
    public const int DeviceDsps = 220;

    private const double ClockGhz = 0.1;
    private const double HpPortMBps = 800;

    public string Name => "rtl";

    /// <summary>Issue 29 calls it <c>dpr bench hardware</c>.</summary>
    public IReadOnlyList<string> Aliases => ["hardware"];

    public string Description => "Convolution RM GOPS from Icarus cycle counts on the CNN layers, against the partition's DSP ceiling.";

    /// <summary>Products per DSP48E1 per clock: two int8 (packed), one int16, a quarter int32 (4 DSPs per 32x32 product).</summary>
    public static double ProductsPerDsp(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.Bits switch { 8 => 2, 16 => 1, _ => 0.25 };
    }

    public static double CeilingGops(ConvModule module, int dsps) => dsps * ProductsPerDsp(module) * 2 * ClockGhz;

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var work = Directory.CreateTempSubdirectory("dpr-bench-rtl-");
        try
        {
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            var goals = new List<BenchGoal>();
            foreach (var layer in Layers(quick))
            {
                console.MarkupLineInterpolated($"[grey]{layer.Name} {layer.Module.Name}: Icarus[/]");
                var (row, layerGoals) = Measure(layer, work);
                rows.Add(row);
                goals.AddRange(layerGoals);
            }
            return new BenchReport(Name, MachineInfo.Current(), rows, goals);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static IEnumerable<CnnLayer> Layers(bool quick) => quick
        ? ConvModule.All.Select(m => new CnnLayer($"small8.{m.Name}", m, new TensorShape(1, 8, 8, 8), 8, 1, ConvPadding.Same, m.Bits))
        : CnnWorkload.All.Concat(ForUnjudgedModules());

    /// <summary>
    /// Every variant is judged on a layer with at least 8 input and 8 output channels. <see cref="CnnWorkload"/>
    /// has none for conv5x5_int8 (its MNIST 5x5 layers have 1 and 6 input channels), so a variant without one
    /// also runs mnist.conv3's shape (16x10x10 to 32 channels, stride 1) with its own kernel.
    /// </summary>
    private static IEnumerable<CnnLayer> ForUnjudgedModules() => ConvModule.All
        .Where(m => !CnnWorkload.All.Any(l => l.Module.Name == m.Name && Judged(l)))
        .Select(m => new CnnLayer($"extra.{m.Name}", m, new TensorShape(1, 16, 10, 10), 32, 1, ConvPadding.Same, m.Bits));

    private static bool Judged(CnnLayer layer) => layer.Input.C >= 8 && layer.Cout >= 8;

    private static (Dictionary<string, object?> Row, List<BenchGoal> Goals) Measure(CnnLayer layer, DirectoryInfo work)
    {
        var module = layer.Module;
        var lanes = ConvParallelism.For(module);
        var groups = lanes.Groups(layer.Cout);
        var full = Math.Min(lanes.OutputLanes, layer.Cout);
        var last = layer.Cout - ((groups - 1) * lanes.OutputLanes);
        var cases = new List<HardwareVectorCase> { Group(layer, full, 1) };
        if (last != full)
        {
            cases.Add(Group(layer, last, 2));
        }
        var rtl = IcarusTestbench.Run(module, cases, work);
        var perGroup = rtl[0].PassCycles + rtl[0].WeightCycles;
        var lastGroup = rtl[^1].PassCycles + rtl[^1].WeightCycles;
        var cycles = ((groups - 1) * perGroup) + lastGroup;
        var model = RtlCycleModel.JobCycles(layer.Spec(), layer.Input, layer.Cout);

        var seconds = cycles / (ClockGhz * 1e9);
        var gops = 2.0 * layer.MultiplyAccumulates / seconds / 1e9;
        var ceiling = CeilingGops(module, PartitionDsps);
        var bytes = module.Bits / 8;
        var weightBytes = (long)lanes.Chunks(layer.Input.C) * lanes.BeatsPerWeightWord(module) * 8;
        var inMBps = groups * ((layer.Input.Count * bytes) + weightBytes) / seconds / 1e6;
        var outMBps = layer.Output.Count * bytes / seconds / 1e6;
        var modelError = Math.Abs(model - cycles) / (double)cycles;
        var row = new Dictionary<string, object?>
        {
            ["layer"] = layer.Name,
            ["module"] = module.Name.Value,
            ["shape"] = $"{layer.Input.C}x{layer.Input.H}x{layer.Input.W}->{layer.Cout}x{layer.Output.H}x{layer.Output.W} s{layer.Stride}",
            // A module that takes a kernel row a clock (CAPS.ROW_CLOCKS) says so: its K clocks a column are the cycles above.
            ["PIxPO"] = lanes.RowClocks > 1 ? $"{lanes.InputLanes}x{lanes.OutputLanes}, a row a clock" : $"{lanes.InputLanes}x{lanes.OutputLanes}",
            ["groups"] = groups,
            ["RTL cycles"] = cycles,
            ["model cycles"] = model,
            ["GOPS"] = gops,
            ["partition ceiling"] = ceiling,
            ["of ceiling"] = gops / ceiling,
            ["device limit"] = CeilingGops(module, DeviceDsps),
            ["paper"] = ModuleThroughput.Paper.GopsFor(module.Bits),
            ["in MB/s"] = inMBps,
            ["out MB/s"] = outMBps,
        };
        var goals = new List<BenchGoal>
        {
            BenchGoal.AtMost($"{layer.Name}: cycle model vs RTL", 0.02, modelError, "relative error"),
        };
        if (Judged(layer))
        {
            goals.Add(BenchGoal.AtLeast($"{layer.Name} {module.Name}: fraction of the partition's DSP ceiling", 0.5, gops / ceiling, "fraction"));
            goals.Add(BenchGoal.AtMost($"{layer.Name}: input stream", HpPortMBps, inMBps, "MB/s"));
            goals.Add(BenchGoal.AtMost($"{layer.Name}: output stream", HpPortMBps, outMBps, "MB/s"));
        }
        return (row, goals);
    }

    /// <summary>The layer's first <paramref name="channels"/> output channels (or its last, for a partial group), as a testbench case.</summary>
    private static HardwareVectorCase Group(CnnLayer layer, int channels, int number)
    {
        var k = layer.Module.KernelSize;
        var perChannel = layer.Input.C * k * k;
        var first = number == 1 ? 0 : layer.Cout - channels;
        var weights = CnnWorkload.Weights(layer).AsMemory(first * perChannel, channels * perChannel);
        var problem = ConvProblem.Create(layer.Spec(), layer.Input, CnnWorkload.Input(layer),
            new TensorShape(channels, layer.Input.C, k, k), weights);
        return new HardwareVectorCase(number, $"{layer.Name}, output channels {first}..{first + channels - 1}", problem, StreamStalls.None);
    }
}
