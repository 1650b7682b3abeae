using System.Text.Json;
using Dpr.Host.Tests.Cli;

namespace Dpr.Host.Tests.Bench;

/// <summary>The shape of what a bench verb writes; the figures themselves belong to docs/benchmarks, not to tests.</summary>
public class BenchVerbTests
{
    [Fact]
    public void Bench_bitstream_quick_writes_the_report_object()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dpr-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, _, _) = CliRunner.Run("bench", "bitstream", "--quick", "--json", path);

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            Assert.Equal("bitstream", j.GetProperty("benchmark").GetString());
            Assert.Equal(Environment.ProcessorCount, j.GetProperty("machine").GetProperty("cores").GetInt32());
            Assert.Equal(8, j.GetProperty("rows").GetArrayLength());
            var goals = j.GetProperty("goals").EnumerateArray().ToList();
            Assert.Equal(2, goals.Count);
            foreach (var g in goals)
            {
                Assert.Equal(1.0, g.GetProperty("target").GetDouble());
                Assert.Equal("GB/s", g.GetProperty("unit").GetString());
                Assert.Equal(g.GetProperty("measured").GetDouble() >= 1.0, g.GetProperty("met").GetBoolean());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bench_fleet_quick_reports_scaling_and_reconfiguration_goals_judged_from_its_rows()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dpr-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, _, _) = CliRunner.Run("bench", "fleet", "--quick", "--json", path);

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            Assert.Equal("fleet", j.GetProperty("benchmark").GetString());
            var rows = j.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal([1, 2, 4, 8, 16, 32, 4, 4, 8, 8], rows.Select(r => r.GetProperty("boards").GetInt32()));
            Assert.Equal(["fleet", "round-robin", "fleet", "round-robin"], rows.Skip(6).Select(r => r.GetProperty("placement").GetString()));
            var scaling = rows.Take(6).Select(r => r.GetProperty("x N x one board").GetDouble()).ToList();
            // The worst of the fleet sizes: round-robin's reconfigurations per job over the fleet's, side by side.
            var reduction = Math.Min(Reduction(6), Reduction(8));
            var goals = j.GetProperty("goals").EnumerateArray().ToList();
            // Scaling and reconfigurations at least their targets; the fleet's p99 wait at most round-robin's and the aging bound.
            Assert.Equal([0.8, 3.0, 1, 250], goals.Select(g => g.GetProperty("target").GetDouble()));
            Assert.Equal(scaling.Min(), goals[0].GetProperty("measured").GetDouble(), 3);
            // The rows' figures are rounded to 4 decimals, the goal's to 2.
            Assert.InRange(goals[1].GetProperty("measured").GetDouble(), (reduction * 0.98) - 0.01, (reduction * 1.02) + 0.01);
            Assert.Equal(Math.Max(WaitRatio(6), WaitRatio(8)), goals[2].GetProperty("measured").GetDouble(), 2);
            Assert.Equal(Math.Max(P99(6), P99(8)), goals[3].GetProperty("measured").GetDouble(), 0);
            for (var i = 0; i < goals.Count; i++)
            {
                var (measured, target) = (goals[i].GetProperty("measured").GetDouble(), goals[i].GetProperty("target").GetDouble());
                Assert.Equal(i < 2 ? measured >= target : measured <= target, goals[i].GetProperty("met").GetBoolean());
            }

            double Reduction(int fleet) => rows[fleet + 1].GetProperty("reconfigs/job").GetDouble() / rows[fleet].GetProperty("reconfigs/job").GetDouble();
            double P99(int row) => rows[row].GetProperty("p99 wait ms").GetDouble();
            double WaitRatio(int fleet) => P99(fleet) / P99(fleet + 1);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bench_fleet_with_boards_runs_only_the_reconfiguration_runs_of_those_fleet_sizes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dpr-bench-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, _, _) = CliRunner.Run("bench", "fleet", "--quick", "--boards", "4", "--seeds", "2", "--json", path);

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            var rows = j.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal([4, 4, 4, 4], rows.Select(r => r.GetProperty("boards").GetInt32()));
            Assert.Equal(["fleet", "round-robin", "fleet", "round-robin"], rows.Select(r => r.GetProperty("placement").GetString()));
            Assert.Equal(2, rows.Select(r => r.GetProperty("seed").GetString()).Distinct().Count());
            // No throughput runs, so no scaling goal; no real fleet, so no resume goal.
            Assert.Equal([3.0, 1, 250], j.GetProperty("goals").EnumerateArray().Select(g => g.GetProperty("target").GetDouble()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bench_fleet_refuses_a_fleet_size_below_one_naming_the_option()
    {
        var (exit, stdout, stderr) = CliRunner.Run("bench", "fleet", "--quick", "--boards", "4", "0");

        Assert.NotEqual(0, exit);
        Assert.Contains("--boards: each fleet size at least 1, found 0", stdout + stderr, StringComparison.Ordinal);
    }
}
