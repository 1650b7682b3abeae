using System.Text.Json;
using Dpr.Fabric.Convolution;
using Dpr.Host.Tests.Cli;

namespace Dpr.Host.Tests.Hardware;

/// <summary>
/// <c>dpr bench rtl --quick</c> (as <c>dpr bench hardware</c>) end to end under Icarus: one row per module with the cycles the RTL
/// counted, the partition's DSP ceiling of its precision, and goals computed from those figures. The
/// throughput figures themselves belong to docs/benchmarks/rtl.md, not to a test.
/// </summary>
public sealed class RtlBenchmarkTests
{
    [HardwareFact]
    public void Bench_rtl_quick_reports_rtl_cycles_and_the_ceiling_of_every_module()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dpr-bench-rtl-{Guid.NewGuid():N}.json");
        try
        {
            // By the name issue 29 gave it: the verb is `rtl`, `hardware` its alias.
            var (exit, _, _) = CliRunner.Run("bench", "hardware", "--quick", "--json", path);

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            Assert.Equal("rtl", j.GetProperty("benchmark").GetString());
            var rows = j.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(ConvModule.All.Select(m => m.Name.Value), rows.Select(r => r.GetProperty("module").GetString()));
            // 80 DSP48E1 x products per DSP (2 int8, 1 int16, 1/4 int32) x 2 ops x 100 MHz.
            Assert.Equal([32.0, 16, 4, 32, 16, 4], rows.Select(r => r.GetProperty("partition ceiling").GetDouble()));
            foreach (var r in rows)
            {
                var cycles = r.GetProperty("RTL cycles").GetInt64();
                Assert.InRange(cycles, 100, 1_000_000);
                var gops = r.GetProperty("GOPS").GetDouble();
                Assert.Equal(gops / r.GetProperty("partition ceiling").GetDouble(), r.GetProperty("of ceiling").GetDouble(), 9);
            }
            var goals = j.GetProperty("goals").EnumerateArray().ToList();
            Assert.Equal(6 * 4, goals.Count);
            foreach (var g in goals)
            {
                var (target, measured) = (g.GetProperty("target").GetDouble(), g.GetProperty("measured").GetDouble());
                var atLeast = g.GetProperty("unit").GetString() == "fraction";
                Assert.Equal(atLeast ? measured >= target : measured <= target, g.GetProperty("met").GetBoolean());
            }
            Assert.All(goals.Where(g => g.GetProperty("name").GetString()!.EndsWith("cycle model vs RTL", StringComparison.Ordinal)),
                g => Assert.True(g.GetProperty("met").GetBoolean()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
