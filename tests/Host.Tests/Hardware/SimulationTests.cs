using System.Diagnostics;
using Dpr.Fabric.Convolution;
using Dpr.Host.Hardware;

namespace Dpr.Host.Tests.Hardware;

/// <summary>
/// Runs hardware/run-sim.sh: every Verilog RM under Icarus Verilog against vectors from the C# reference,
/// plus verilator lint where verilator is installed. CI installs both (.ci/run).
/// </summary>
public sealed class SimulationTests : IDisposable
{
    private readonly DirectoryInfo _vectors = Directory.CreateTempSubdirectory("dpr-vectors-");

    [HardwareFact]
    public void Every_rm_matches_the_reference_bit_for_bit()
    {
        Assert.True(OnPath("iverilog"),
            "iverilog is not on PATH: install it (apt-get install iverilog, as .ci/run does) or set DPR_SKIP_HARDWARE=1");
        HardwareVectors.WriteAll(_vectors);

        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(RepositoryRoot.Path, "hardware", "run-sim.sh"), "--vectors", _vectors.FullName },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var log = stdout + stderr.Result;

        Assert.True(process.ExitCode == 0, $"run-sim.sh exited with {process.ExitCode}:\n{log}");
        foreach (var module in ConvModule.All)
        {
            Assert.Contains($"PASS {module.Name}: {HardwareVectors.Cases(module).Count} cases bit-exact", log, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("FAIL", log, StringComparison.Ordinal);
    }

    public void Dispose() => _vectors.Delete(recursive: true);

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
