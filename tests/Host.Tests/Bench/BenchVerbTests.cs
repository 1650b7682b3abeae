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
}
