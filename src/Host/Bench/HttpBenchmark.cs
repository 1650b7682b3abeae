using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench http</c>: durable submissions per second through the HTTP API of a real
/// <c>dpr serve</c> child process on loopback (SQLite journal, simulated board): 16 clients, each on
/// one keep-alive connection, submit tiny jobs back to back; a job counts once its 202 arrives, which
/// the intake sends only after the job is on the journal. Bounded by a count and a time. The load
/// generator runs on the same machine and takes its share of the cores. Goal (issue 8): 5,000/s.
/// </summary>
public sealed class HttpBenchmark : IBenchmark
{
    private const double GoalPerSecond = 5_000;
    private const int Clients = 16;

    public string Name => "http";

    public string Description => "Durable job submissions per second over HTTP, 16 keep-alive clients, against a local dpr serve.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        var (count, limit) = quick ? (20_000, TimeSpan.FromSeconds(20)) : (200_000, TimeSpan.FromSeconds(90));
        return ServedBench.Run("http", console, data =>
        {
            var key = new TenantStore(data).Add("bench", admin: false);
            return (key, new Dictionary<string, string>
            {
                ["DPR__MAXOPENJOBS"] = "100000000",
                ["DPR__MAXOPENJOBSPERTENANT"] = "100000000",
                // The benchmark measures one tenant's capacity: no per-key rate limit in the way.
                ["DPR__REQUESTSPERSECONDPERTENANT"] = "100000000",
                ["Serilog__MinimumLevel__Default"] = "Warning",
            });
        },
        (server, key) =>
        {
            console.MarkupLine("warming up...");
            Submit(server.Url, key, 2_000, TimeSpan.FromSeconds(30));
            console.MarkupLineInterpolated($"[bold]{Clients}[/] clients submitting up to {count:N0} jobs for at most {limit.TotalSeconds:0} s...");
            var cpuBefore = ServerCpu(server.Id);
            var run = Submit(server.Url, key, count, limit);
            var serverCpu = ServerCpu(server.Id) - cpuBefore;
            var rate = run.Accepted / run.Elapsed.TotalSeconds;
            var row = new Dictionary<string, object?>
            {
                ["clients"] = Clients,
                ["submitted"] = run.Accepted,
                ["refused"] = run.Refused,
                ["seconds"] = Math.Round(run.Elapsed.TotalSeconds, 2),
                ["submits/s"] = Math.Round(rate),
                ["p50 ms"] = Math.Round(run.P50, 3),
                ["p99 ms"] = Math.Round(run.P99, 3),
                ["server CPU s"] = serverCpu is { } cpu ? Math.Round(cpu.TotalSeconds, 1) : null,
                ["server CPU µs/submit"] = serverCpu is { } c && run.Accepted > 0 ? Math.Round(c.TotalMicroseconds / run.Accepted) : null,
            };
            return new BenchReport("http", MachineInfo.Current(), [row], [BenchGoal.AtLeast("durable submits over HTTP, 16 keep-alive clients", GoalPerSecond, Math.Round(rate), "submits/s")]);
        });
    }

    private sealed record RunResult(int Accepted, int Refused, TimeSpan Elapsed, double P50, double P99);

    /// <summary>Up to <paramref name="count"/> submissions from <see cref="Clients"/> connections, for at most <paramref name="limit"/>.</summary>
    private static RunResult Submit(Uri url, string key, int count, TimeSpan limit)
    {
        // A 3x3 int8 job over a 1x1x8x8 image: the request is about 200 bytes of JSON.
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(
            new SubmitJobDto("conv3x3_int8", new TensorDto([1, 1, 8, 8], Convert.ToBase64String(new byte[64])), new TensorDto([1, 1, 3, 3], Convert.ToBase64String(new byte[9]))),
            ApiJson.Options));
        var latencies = new double[count];
        var next = -1;
        var refused = 0;
        var deadline = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(_ => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false })
        {
            BaseAddress = url,
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
        }).ToList();
        try
        {
            Task.WhenAll(clients.Select(async client =>
            {
                int i;
                while (deadline.Elapsed < limit && (i = Interlocked.Increment(ref next)) < count)
                {
                    var start = Stopwatch.GetTimestamp();
                    using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
                    using var response = await client.PostAsync("/v1/jobs", content);
                    await response.Content.LoadIntoBufferAsync();
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        Interlocked.Increment(ref refused);
                        latencies[i] = double.NaN;
                    }
                }
            })).GetAwaiter().GetResult();
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
        var elapsed = deadline.Elapsed;
        var done = latencies.Take(Math.Min(next, count)).Where(l => !double.IsNaN(l)).Order().ToArray();
        return done.Length == 0
            ? new RunResult(0, refused, elapsed, double.NaN, double.NaN)
            : new RunResult(done.Length, refused, elapsed, done[done.Length / 2], done[(int)(done.Length * 0.99)]);
    }

    /// <summary>User + system CPU of the server process so far; null once it has exited.</summary>
    internal static TimeSpan? ServerCpu(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
