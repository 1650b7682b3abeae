using Dpr.Host.Service;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>A benchmark against a <c>dpr serve</c> process of its own, on a fresh data directory.</summary>
internal static class ServedBench
{
    /// <summary>
    /// <paramref name="prepare"/> sets up a fresh data directory (its tenants) and returns what the
    /// measurement needs with the service's extra environment; the service starts, <paramref name="measure"/>
    /// runs once it is ready, and the service is stopped with SIGTERM. A failure prints the service's last
    /// lines; the directory is deleted in any case.
    /// </summary>
    public static TResult Run<TSetup, TResult>(string name, IAnsiConsole console,
        Func<string, (TSetup Setup, Dictionary<string, string> Environment)> prepare, Func<ServeProcess, TSetup, TResult> measure)
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-bench-{name}-{Guid.NewGuid():N}");
        try
        {
            var (setup, environment) = prepare(data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort(), environment);
            try
            {
                server.WaitReadyAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
                console.MarkupLineInterpolated($"dpr serve (pid {server.Id}) ready at {server.Url}");
                var result = measure(server, setup);
                server.Terminate();
                server.WaitForExit(TimeSpan.FromSeconds(120));
                return result;
            }
            catch
            {
                console.WriteLine(server.Tail());
                throw;
            }
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
