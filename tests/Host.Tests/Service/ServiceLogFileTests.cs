using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Tests.Service;

/// <summary><c>Dpr:LogFile</c>: the service's log also goes to a daily file when set, and a directory that cannot be made stops the start naming the setting.</summary>
public class ServiceLogFileTests
{
    [Fact]
    public async Task With_a_log_file_set_the_service_log_goes_to_a_dated_file_as_well()
    {
        var logs = Directory.CreateTempSubdirectory("dpr-logs-");
        try
        {
            var path = Path.Combine(logs.FullName, "nested", "dpr.log");
            await using (var server = await ApiServer.StartAsync(new Dictionary<string, string?>
            {
                ["Dpr:LogFile"] = path,
                ["Serilog:MinimumLevel:Default"] = "Information",
            }))
            {
                await server.Client("ops").GetStringAsync("/v1/chaos");
            }

            // Rolled daily: the date goes before the extension (Serilog.Sinks.File).
            var file = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, "dpr*.log"));
            Assert.Matches(@"dpr\d{8}\.log$", file);
            var text = File.ReadAllText(file);
            Assert.Contains("Journal SQLite", text);
            Assert.Matches(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{2}:\d{2} \[INF\] dpr: Board pynq-z2", text);
        }
        finally
        {
            logs.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Two_services_in_one_process_each_keep_their_own_log()
    {
        var logs = Directory.CreateTempSubdirectory("dpr-logs-");
        try
        {
            var path = Path.Combine(logs.FullName, "dpr.log");
            await using (var withFile = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:LogFile"] = path, ["Serilog:MinimumLevel:Default"] = "Information" }))
            {
                // Built after the first and stopped before it: it must neither take nor close the first one's logger.
                await (await ApiServer.StartAsync()).DisposeAsync();
                withFile.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dpr").LogWarning("After the second service stopped");
            }

            var text = File.ReadAllText(Assert.Single(Directory.GetFiles(logs.FullName, "dpr*.log")));
            Assert.Contains("[WRN] dpr: After the second service stopped", text);
        }
        finally
        {
            logs.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("Dpr:LogFileRetainedCount", "0", "Dpr:LogFileRetainedCount: at least 1")]
    [InlineData("Dpr:LogFile", "/proc/dpr/dpr.log", "Dpr:LogFile: cannot make the directory of '/proc/dpr/dpr.log'")]
    public void A_log_file_setting_that_cannot_work_stops_the_start_naming_it(string key, string value, string expected)
    {
        var e = Assert.Throws<ServiceOptionsException>(() => DprService.Build(new Dictionary<string, string?> { [key] = value, ["Dpr:Data"] = Path.GetTempPath() }));

        Assert.Contains(e.Problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }
}
