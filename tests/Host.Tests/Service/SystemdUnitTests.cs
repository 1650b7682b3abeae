using System.Diagnostics;
using Dpr.Host.Service;
using Dpr.Host.Tests.Hardware;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// <c>deploy/dpr.service</c> as systemd reads it. <c>systemd-analyze verify</c> exits 0 on a key or
/// value it ignores (a typo, a bad <c>Restart=</c>) and only prints it, so any line it prints fails the test.
/// ExecStart is pointed at the <c>dpr</c> built beside these tests: the installed path, /opt/dpr, is not here.
/// </summary>
public class SystemdUnitTests
{
    private const string Analyze = "/usr/bin/systemd-analyze";

    private static readonly string Unit = Path.Combine(RepositoryRoot.Path, "deploy", "dpr.service");

    [Fact]
    public void The_unit_passes_systemd_analyze_verify_without_a_word()
    {
        var (exit, output) = Verify(File.ReadAllText(Unit));

        Assert.True(exit == 0 && output.Length == 0, $"systemd-analyze verify exited {exit}:{Environment.NewLine}{output}");
    }

    [Fact]
    public void A_setting_systemd_would_ignore_fails_the_check()
    {
        var (exit, output) = Verify(File.ReadAllText(Unit).Replace("Restart=on-failure", "Restart=sometimes", StringComparison.Ordinal));

        Assert.Equal(0, exit);
        Assert.Contains("Failed to parse service restart specifier", output);
    }

    [Fact]
    public void The_unit_restarts_on_failure_notifies_readiness_and_runs_as_dpr_in_its_state_directory()
    {
        var settings = File.ReadAllLines(Unit).Where(l => l.Contains('=') && !l.StartsWith('#')).ToLookup(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);

        Assert.Equal(["notify"], settings["Type"]);
        Assert.Equal(["on-failure"], settings["Restart"]);
        Assert.Equal(["/opt/dpr/dpr serve"], settings["ExecStart"]);
        Assert.Equal(["dpr"], settings["User"]);
        Assert.Equal(["dpr"], settings["StateDirectory"]);
        Assert.Equal(["/var/lib/dpr"], settings["WorkingDirectory"]);
        Assert.Contains("DPR__DATA=/var/lib/dpr", settings["Environment"]);
        // Microsoft.Extensions.Hosting.Systemd sends no WATCHDOG=1: a watchdog would kill a healthy service.
        Assert.Empty(settings["WatchdogSec"]);
    }

    [Fact]
    public void The_unit_sets_the_board_profiles_runtime_settings_and_no_other_runtime_knob()
    {
        var environment = File.ReadAllLines(Unit).Where(l => l.StartsWith("Environment=DOTNET_", StringComparison.Ordinal) && !l.Contains("TELEMETRY", StringComparison.Ordinal))
            .Select(l => l["Environment=".Length..]).Order(StringComparer.Ordinal);

        Assert.Equal(BoardRuntime.Environment.Select(e => $"{e.Key}={e.Value}").Order(StringComparer.Ordinal), environment);
    }

    /// <summary>Verifies <paramref name="unit"/> with ExecStart pointed at the dpr next to the tests; the exit code and everything printed.</summary>
    private static (int Exit, string Output) Verify(string unit)
    {
        Assert.True(File.Exists(Analyze), $"{Analyze} is missing: apt-get install systemd");
        var dpr = Path.Combine(AppContext.BaseDirectory, "dpr");
        Assert.True(File.Exists(dpr), $"no dpr apphost at {dpr}");
        var directory = Directory.CreateTempSubdirectory("dpr-unit-");
        try
        {
            var copy = Path.Combine(directory.FullName, "dpr.service");
            File.WriteAllText(copy, unit.Replace("ExecStart=/opt/dpr/dpr ", $"ExecStart={dpr} ", StringComparison.Ordinal));
            var info = new ProcessStartInfo(Analyze) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "verify", copy })
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, (stdout + stderr.Result).Trim());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
