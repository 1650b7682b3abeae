using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench dashboard</c>: what one open dashboard costs the service. A real <c>dpr serve</c> child
/// process (simulated PYNQ-Z2 in real time, SQLite) runs a board-sized workload — two tenants submitting
/// a 64x64 int8 convolution every 50 ms, rotating over three modules so that the single partition swaps —
/// in phases with no <c>GET /v1/events</c> client and with one (an admin's, which is sent every event),
/// alternated so that drift on a shared machine falls on both; then idle, without and with one client.
/// The server process's CPU time per wall second is compared side by side. Goal (issue 19): the stream
/// costs little while someone watches (at most 10% more CPU under load, 0.01 core idle), and an operator's
/// load shows on an open stream within a second (from the request sent to its swap-completed event read).
/// </summary>
public sealed class DashboardBenchmark : IBenchmark
{
    private const double MaxLoadRatio = 1.10;
    private const double MaxIdleCores = 0.01;
    private const double MaxLoadToEventMs = 1000;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(50);
    private static readonly string[] Modules = ["conv3x3_int8", "conv5x5_int8", "conv3x3_int16"];

    public string Name => "dashboard";

    public string Description => "Service CPU with one dashboard (GET /v1/events) open vs none, on a PYNQ-Z2-sized workload of a local dpr serve.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        var (phase, idle, pairs) = quick ? (TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(5), 2) : (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), 6);
        return ServedBench.Run("dashboard", console, data =>
        {
            var tenants = new TenantStore(data);
            var keys = new[] { tenants.Add("alice", admin: false), tenants.Add("bob", admin: false) };
            var admin = tenants.Add("ops", admin: true);
            return ((keys, admin), new Dictionary<string, string> { ["Serilog__MinimumLevel__Default"] = "Warning" });
        },
        (server, setup) =>
        {
            var (keys, admin) = setup;
            // Both paths compiled before anything is measured: the stream's first use is not its steady cost.
            console.MarkupLine("warming up...");
            Measure(server, keys, null, phase);
            Measure(server, keys, admin, phase);
            var rows = new List<Dictionary<string, object?>>();
            for (var i = 0; i < pairs; i++)
            {
                // Without-with, then with-without: a drift of the shared machine falls on both alike.
                foreach (var watched in i % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    console.MarkupLineInterpolated($"workload, {(watched ? "one dashboard open" : "no dashboard")}, {phase.TotalSeconds:0} s...");
                    rows.Add(Measure(server, keys, watched ? admin : null, phase).Row("workload", watched));
                }
            }
            console.MarkupLine("waiting for the jobs still queued to finish...");
            Settle(server);
            foreach (var watched in new[] { false, true })
            {
                console.MarkupLineInterpolated($"idle, {(watched ? "one dashboard open" : "no dashboard")}, {idle.TotalSeconds:0} s...");
                rows.Add(Measure(server, [], watched ? admin : null, idle).Row("idle", watched));
            }
            console.MarkupLineInterpolated($"operator loads, each until its swap shows on an open stream...");
            var latencies = LoadLatenciesAsync(server.Url, admin, quick ? 10 : 40).GetAwaiter().GetResult();
            rows.Add(new()
            {
                ["phase"] = "operator load to its event",
                ["dashboard open"] = true,
                ["loads"] = latencies.Count,
                ["median ms"] = Math.Round(latencies[latencies.Count / 2], 1),
                ["p95 ms"] = Math.Round(P95(latencies), 1),
                ["max ms"] = Math.Round(latencies[^1], 1),
            });
            double Cores(string workload, bool watched) =>
                rows.Where(r => (string)r["phase"]! == workload && (bool)r["dashboard open"]! == watched).Average(r => (double)r["server cores"]!);
            var ratio = Cores("workload", true) / Cores("workload", false);
            var idleCost = Cores("idle", true) - Cores("idle", false);
            return new BenchReport("dashboard", MachineInfo.Current(), rows,
            [
                BenchGoal.AtMost("service CPU under load, one dashboard open / none", MaxLoadRatio, Math.Round(ratio, 3), "ratio"),
                BenchGoal.AtMost("service CPU idle, one dashboard open minus none", MaxIdleCores, Math.Round(idleCost, 4), "cores"),
                BenchGoal.AtMost("operator load to its swap-completed event on the stream, p95", MaxLoadToEventMs, Math.Round(P95(latencies), 1), "ms"),
            ]);
        });
    }

    private sealed record Phase(TimeSpan Wall, TimeSpan Cpu, int Submitted, int Events)
    {
        public Dictionary<string, object?> Row(string phase, bool watched) => new()
        {
            ["phase"] = phase,
            ["dashboard open"] = watched,
            ["seconds"] = Math.Round(Wall.TotalSeconds, 1),
            ["jobs submitted"] = Submitted,
            ["events streamed"] = Events,
            ["server CPU s"] = Math.Round(Cpu.TotalSeconds, 2),
            ["server cores"] = Math.Round(Cpu.TotalSeconds / Wall.TotalSeconds, 4),
        };
    }

    /// <summary>The workload of <paramref name="keys"/> (none: idle) for <paramref name="length"/>, watched by <paramref name="watcher"/>'s stream when given.</summary>
    private static Phase Measure(ServeProcess server, string[] keys, string? watcher, TimeSpan length)
    {
        using var stop = new CancellationTokenSource();
        var events = 0;
        var watching = watcher is null ? Task.CompletedTask : WatchAsync(server.Url, watcher, () => Interlocked.Increment(ref events), stop.Token);
        // The stream's first event says it is open: measure from there.
        var opened = Stopwatch.StartNew();
        while (watcher is not null && Volatile.Read(ref events) == 0 && opened.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }
        var cpu = HttpBenchmark.ServerCpu(server.Id) ?? throw new InvalidOperationException("dpr serve exited");
        var wall = Stopwatch.StartNew();
        var submitted = keys.Length == 0 ? Idle(length) : SubmitAsync(server.Url, keys, length).GetAwaiter().GetResult();
        var elapsed = wall.Elapsed;
        var used = (HttpBenchmark.ServerCpu(server.Id) ?? throw new InvalidOperationException("dpr serve exited")) - cpu;
        stop.Cancel();
        try
        {
            watching.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // The stream is closed by the benchmark.
        }
        return new Phase(elapsed, used, submitted, events);
    }

    /// <summary>Until the server uses under 0.05 core over a second (the workload's queue drained), at most a minute.</summary>
    private static void Settle(ServeProcess server)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromMinutes(1))
        {
            var before = HttpBenchmark.ServerCpu(server.Id) ?? throw new InvalidOperationException("dpr serve exited");
            Thread.Sleep(1000);
            if ((HttpBenchmark.ServerCpu(server.Id) ?? throw new InvalidOperationException("dpr serve exited")) - before < TimeSpan.FromMilliseconds(50))
            {
                return;
            }
        }
    }

    private static int Idle(TimeSpan length)
    {
        Thread.Sleep(length);
        return 0;
    }

    /// <summary>A job every <see cref="Pace"/>, the tenants and modules in turn; the number submitted.</summary>
    private static async Task<int> SubmitAsync(Uri url, string[] keys, TimeSpan length)
    {
        var clients = keys.Select(k => new HttpClient { BaseAddress = url, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", k) } }).ToList();
        try
        {
            var image = Convert.ToBase64String(Enumerable.Range(0, 64 * 64).Select(i => (byte)(i % 97)).ToArray());
            var submitted = 0;
            var clock = Stopwatch.StartNew();
            using var timer = new PeriodicTimer(Pace);
            while (clock.Elapsed < length && await timer.WaitForNextTickAsync())
            {
                var module = Modules[submitted / 4 % Modules.Length];
                var (kernel, bytes) = module switch { "conv5x5_int8" => (5, 25), "conv3x3_int16" => (3, 18), _ => (3, 9) };
                var input = module.EndsWith("int16", StringComparison.Ordinal) ? Convert.ToBase64String(new byte[64 * 64 * 2]) : image;
                var job = new SubmitJobDto(module, new TensorDto([1, 1, 64, 64], input), new TensorDto([1, 1, kernel, kernel], Convert.ToBase64String(new byte[bytes])));
                using var response = await clients[submitted % clients.Count].PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);
                submitted += response.IsSuccessStatusCode ? 1 : 0;
            }
            return submitted;
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static double P95(List<double> sorted) => sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1];

    /// <summary>
    /// Milliseconds, sorted, from each <c>POST /v1/regions/{p}/load</c> sent (modules in turn) to its
    /// swap-completed event read from an admin's open stream.
    /// </summary>
    private static async Task<List<double>> LoadLatenciesAsync(Uri url, string key, int count)
    {
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
        var region = (await client.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions[0];
        var partition = region.Partition;
        // Never the module it holds: each load must swap.
        var first = Array.FindIndex(Modules, m => m != region.Module);
        using var stream = await client.GetAsync("/v1/events", HttpCompletionOption.ResponseHeadersRead);
        stream.EnsureSuccessStatusCode();
        await using var items = System.Net.ServerSentEvents.SseParser.Create(await stream.Content.ReadAsStreamAsync()).EnumerateAsync().GetAsyncEnumerator();
        var latencies = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var module = Modules[(first + i) % Modules.Length];
            var clock = Stopwatch.StartNew();
            using var load = await client.PostAsJsonAsync($"/v1/regions/{partition}/load", new { module });
            load.EnsureSuccessStatusCode();
            while (await items.MoveNextAsync())
            {
                if (items.Current.EventType == "region" && System.Text.Json.JsonDocument.Parse(items.Current.Data).RootElement is var e
                    && e.GetProperty("kind").GetString() == "swap-completed" && e.GetProperty("module").GetString() == module)
                {
                    break;
                }
            }
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        return latencies;
    }

    /// <summary>Reads <c>GET /v1/events</c> as a dashboard does, counting its events, until cancelled.</summary>
    private static async Task WatchAsync(Uri url, string key, Action counted, CancellationToken cancel)
    {
        using var client = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
        using var response = await client.GetAsync("/v1/events", HttpCompletionOption.ResponseHeadersRead, cancel);
        response.EnsureSuccessStatusCode();
        await foreach (var _ in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync(cancel)).EnumerateAsync(cancel))
        {
            counted();
        }
    }
}
