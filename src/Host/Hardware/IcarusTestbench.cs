using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dpr.Fabric.Convolution;

namespace Dpr.Host.Hardware;

/// <summary>
/// Runs hardware/tb/tb_conv.v on a module's RTL under Icarus Verilog (iverilog, vvp) with vectors from
/// <see cref="HardwareVectors"/>, and reads back what the testbench prints: whether every output was
/// bit-exact, and the cycles of every pass and weight upload as the RTL's CYCLES register counted them.
/// </summary>
public static partial class IcarusTestbench
{
    /// <summary>The checkout's hardware/ directory, looked for above the current directory and above the binary.</summary>
    public static string HardwareDirectory
    {
        get
        {
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "hardware", "tb", "tb_conv.v")))
                    {
                        return Path.Combine(dir.FullName, "hardware");
                    }
                }
            }
            throw new DirectoryNotFoundException("hardware/tb/tb_conv.v was not found above the current directory or the binary; run from the checkout");
        }
    }

    /// <summary>Simulates <paramref name="cases"/> on <paramref name="module"/>; throws if iverilog fails or the RTL disagrees with the reference.</summary>
    public static IReadOnlyList<RtlCaseCycles> Run(ConvModule module, IReadOnlyList<HardwareVectorCase> cases, DirectoryInfo work)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(work);
        work.Create();
        var hardware = HardwareDirectory;
        var vectors = Path.Combine(work.FullName, $"{module.Name}.hex");
        using (var writer = new StreamWriter(vectors) { NewLine = "\n" })
        {
            HardwareVectors.Write(writer, module, cases, HardwareVectors.DefaultSeed);
        }
        var image = Path.Combine(work.FullName, $"{module.Name}.vvp");
        Tool("iverilog", [
            "-g2005", $"-I{Path.Combine(hardware, "rtl")}",
            $"-Ptb_conv.K={module.KernelSize}", $"-Ptb_conv.P={module.Bits}", "-o", image,
            Path.Combine(hardware, "tb", "tb_conv.v"), Path.Combine(hardware, "rtl", "conv_rm.v"),
            Path.Combine(hardware, "rtl", "conv_axil_slave.v")]);
        var log = Tool("vvp", ["-n", image, $"+vectors={vectors}"]);
        if (!log.Contains($"PASS {module.Name}: {cases.Count} cases bit-exact", StringComparison.Ordinal))
        {
            var failures = string.Join('\n', log.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).Take(10));
            throw new InvalidOperationException($"{module.Name}: the RTL disagrees with the reference under Icarus:\n{failures}");
        }
        return CaseLine().Matches(log)
            .Select(m => new RtlCaseCycles(
                int.Parse(m.Groups["case"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["cycles"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["weights"].Value, CultureInfo.InvariantCulture)))
            .ToList();
    }

    private static string Tool(string name, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(name) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{name} could not be started ({e.Message}): install Icarus Verilog (apt-get install iverilog)", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}: {stderr.Result}{stdout}");
            }
            return stdout;
        }
    }

    [GeneratedRegex(@"^case (?<case>\d+) .*: \d+ outputs in (?<cycles>\d+) cycles, weights (?<weights>\d+) cycles", RegexOptions.Multiline)]
    private static partial Regex CaseLine();
}

/// <summary>What the RTL's CYCLES register read after one testbench case: the pass and, before it, the weight upload (0 for a single-channel case).</summary>
public sealed record RtlCaseCycles(int Case, long PassCycles, long WeightCycles);
