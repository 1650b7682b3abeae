using System.CommandLine;
using Dpr.Host.Bench;
using Dpr.Host.Bench.Memory;
using Dpr.Host.Bench.Soak;
using Dpr.Host.Cli;
using Dpr.Host.Client;
using Dpr.Host.Hardware;
using Dpr.Host.Regions;
using Dpr.Host.Service;

namespace Dpr.Host;

public static class Program
{
    /// <summary>Every <c>dpr bench</c> verb; add a benchmark here to expose it.</summary>
    internal static IReadOnlyList<IBenchmark> Benchmarks { get; } =
    [
        new BitstreamBenchmark(),
        new ConvBenchmark(),
        new SwapBenchmark(),
        new IntakeBenchmark(),
        new RegionsBenchmark(),
        new CrashBenchmark(),
        new ScheduleBenchmark(),
        new HttpBenchmark(),
        new DashboardBenchmark(),
        new FuzzBenchmark(),
        new SoakBenchmark(),
        new MemoryBenchmark(),
        new FairnessBenchmark(),
        new RtlBenchmark(),
        new FleetBenchmark(),
    ];

    public static int Main(string[] args) => BuildCommand().Parse(args).Invoke();

    internal static RootCommand BuildCommand()
    {
        var root = new RootCommand("dpr: a runtime for FPGA dynamic partial reconfiguration.")
        {
            InspectCommand.Create(),
            ConvertCommand.Create(),
            VerifyCommand.Create(),
            BitstreamSynthCommand.Create(),
            ModulesCommand.Create(),
            BoardsCommand.Create(),
            BenchCommand.Create(Benchmarks),
            HardwareCommand.Create(),
            RegionHostCommand.Create(),
            DemoCommand.Create(),
            ServeCommand.Create(),
            Fleet.FleetCommand.Create(),
            TenantsCommand.Create(),
            ClientCommands.Submit(),
            ClientCommands.Jobs(),
            ClientCommands.Regions(),
            ClientCommands.Swaps(),
            ClientCommands.Audit(),
            ChaosCommands.Create(),
        };
        return root;
    }
}
