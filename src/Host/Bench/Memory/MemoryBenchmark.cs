using System.CommandLine;
using System.Diagnostics;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Simulation;
using Dpr.Host.Service;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace Dpr.Host.Bench.Memory;

/// <summary>
/// <c>dpr bench memory</c>: what a real <c>dpr serve</c> process holds (issue 25: it must fit a 512 MB
/// board). Resident memory is read from <c>/proc</c> (<see cref="ProcessMemory"/>): the warm baseline
/// under each runtime configuration; with the board profile's (<see cref="BoardRuntime"/>), the peak
/// over that baseline while the largest admissible job of each module runs and its result is read,
/// while oversize bodies are refused, and during a flood of tiny jobs; and the resident memory after a
/// restart with 100,000 and 1,000,000 finished jobs on record against an empty data directory's.
/// <para>
/// Goals, from the run: warm baseline ≤ 100 MB with the board profile; every admissible job's peak
/// over the baseline ≤ 64 MB + 2 × (its input + output bytes); no refused body raises resident memory
/// by more than 16 MB; after a restart with the most finished jobs, within 5% of an empty directory.
/// </para>
/// </summary>
public sealed class MemoryBenchmark : IBenchmarkWithOptions
{
    private const double MB = 1e6;
    private const double BaselineTargetMB = 100;
    private const double JobAllowanceMB = 64;
    private const double RefusedTargetMB = 16;
    private const double RestartTargetPercent = 5;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);

    private readonly Option<string?> _history = new("--history")
    {
        Description = "Finished jobs on record at each restart, comma-separated (default 100000,1000000; 2000,10000 with --quick).",
    };

    public string Name => "memory";

    public string Description => "Resident memory of a real dpr serve: warm baseline per runtime configuration, the largest job of each module, refused bodies, a flood, restarts with a long history.";

    public IReadOnlyList<Option> Options => [_history];

    public BenchReport Run(bool quick, IAnsiConsole console) => Run(quick, null, console);

    public BenchReport Run(bool quick, ParseResult? parse, IAnsiConsole console)
    {
        var history = (parse?.GetValue(_history) ?? (quick ? "2000,10000" : "100000,1000000"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).Order().ToList();
        return RunAsync(quick, history, console).GetAwaiter().GetResult();
    }

    private static async Task<BenchReport> RunAsync(bool quick, IReadOnlyList<int> history, IAnsiConsole console)
    {
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        var goals = new List<BenchGoal>();

        // The runtime configurations side by side, each on an empty data directory.
        var profiles = quick ? BoardRuntime.Candidates.Where(c => c.Name is "x64 default" || c.Environment == BoardRuntime.Environment) : BoardRuntime.Candidates;
        foreach (var (name, environment) in profiles)
        {
            using var run = await BenchServer.StartAsync(environment);
            var baseline = await run.WarmBaselineAsync();
            console.MarkupLineInterpolated($"  {name}: warm baseline {baseline / MB:0.0} MB");
            rows.Add(Row("baseline", name, "warm, empty data directory", "", rss: baseline));
            if (environment == BoardRuntime.Environment)
            {
                goals.Add(BenchGoal.AtMost("warm baseline RSS with the board profile's runtime settings (x64)", BaselineTargetMB, Round(baseline), "MB"));
            }
        }

        using (var server = await BenchServer.StartAsync(BoardRuntime.Environment))
        {
            var baseline = await server.WarmBaselineAsync();
            var client = server.Clients[0];
            foreach (var job in LargestJobs(quick))
            {
                var body = new TensorBody(job.Module, job.Input, job.OutputChannels, seed: 7);
                var output = (long)job.Input[0] * job.OutputChannels * job.Input[2] * job.Input[3] * (job.Module.Bits / 8);
                ProcessMemory.ResetPeak(server.Pid);
                var clock = Stopwatch.StartNew();
                var (status, id, detail) = await client.SubmitAsync(body);
                var state = id is { } accepted ? (await client.WaitAsync(accepted, JobTimeout)).State : $"refused {(int)status}";
                var resultBytes = state == "completed" ? await client.ReadResultAsync(id!.Value) : 0;
                var peak = ProcessMemory.Peak(server.Pid) - baseline;
                var bound = (JobAllowanceMB * MB) + (2.0 * (body.InputBytes + output));
                var shape = $"{string.Join('x', job.Input)} -> {job.OutputChannels}";
                console.MarkupLineInterpolated($"  {job.Module.Name} {shape}: {state} in {clock.Elapsed.TotalSeconds:0.0} s, peak +{peak / MB:0.0} MB (bound {bound / MB:0.0} MB)");
                rows.Add(Row("largest job", "board", $"{job.Module.Name} {shape}: {Round(body.InputBytes)} MB in, {Round(output)} MB out", state, clock.Elapsed, peak: peak, bound: bound));
                goals.Add(new BenchGoal($"peak over baseline, {job.Module.Name} {shape} (≤ 64 MB + 2 x its input and output; completed)", Round(bound), Round(peak), "MB", state == "completed" && peak <= bound));
                if (state != "completed")
                {
                    console.MarkupLineInterpolated($"  [yellow]{detail}[/]");
                }
            }

            foreach (var (what, body) in RefusedBodies())
            {
                var before = ProcessMemory.Rss(server.Pid);
                ProcessMemory.ResetPeak(server.Pid);
                var (status, id, detail) = body is TensorBody { Chunked: true }
                    ? (await ChunkedUpload.PostAsync(server.Url, "/v1/jobs", server.Keys[0], body), null, "")
                    : await client.SubmitAsync(body);
                await Task.Delay(TimeSpan.FromSeconds(1));
                var raised = ProcessMemory.Peak(server.Pid) - before;
                var after = ProcessMemory.Rss(server.Pid) - before;
                console.MarkupLineInterpolated($"  {what}: {(int)status}, peak +{raised / MB:0.0} MB, after +{after / MB:0.0} MB");
                rows.Add(Row("refused body", "board", what, $"{(int)status}, +{Round(after)} MB after", peak: raised, bound: RefusedTargetMB * MB));
                goals.Add(new BenchGoal($"RSS raised by a refused body: {what} (refused)", RefusedTargetMB, Round(raised), "MB", id is null && (int)status >= 400 && raised <= RefusedTargetMB * MB));
                if (id is { } accepted)
                {
                    await client.WaitAsync(accepted, JobTimeout);
                }
            }

            var flood = quick ? 2_000 : 20_000;
            ProcessMemory.ResetPeak(server.Pid);
            var clockFlood = Stopwatch.StartNew();
            await server.FloodAsync(flood);
            var floodPeak = ProcessMemory.Peak(server.Pid) - baseline;
            console.MarkupLineInterpolated($"  flood of {flood:N0} tiny jobs in {clockFlood.Elapsed.TotalSeconds:0.0} s: peak +{floodPeak / MB:0.0} MB");
            rows.Add(Row("flood", "board", $"{flood:N0} tiny jobs, 8 tenants", "completed", clockFlood.Elapsed, peak: floodPeak));
        }

        // Restarts: an empty data directory, then the same directory with ever more finished jobs on record.
        using (var server = await BenchServer.StartAsync(BoardRuntime.Environment))
        {
            var empty = await server.RestartAsync();
            console.MarkupLineInterpolated($"  restart, empty data directory: {empty / MB:0.0} MB");
            rows.Add(Row("restart", "board", "empty data directory", "", rss: empty));
            var onRecord = 0;
            foreach (var count in history)
            {
                var clock = Stopwatch.StartNew();
                await server.FloodAsync(count - onRecord);
                onRecord = count;
                var filled = clock.Elapsed;
                var rss = await server.RestartAsync();
                var over = 100.0 * (rss - empty) / empty;
                console.MarkupLineInterpolated($"  restart with {count:N0} finished jobs (made in {filled.TotalSeconds:0} s): {rss / MB:0.0} MB, {over:+0.0;-0.0} %");
                rows.Add(Row("restart", "board", $"{count:N0} finished jobs on record", $"{over:+0.0;-0.0} % over empty", filled, rss: rss));
                if (count == history[^1])
                {
                    goals.Add(BenchGoal.AtMost($"RSS after a restart with {count:N0} finished jobs over an empty data directory's", RestartTargetPercent, Math.Round(over, 1), "%"));
                }
            }
        }
        SqliteConnection.ClearAllPools();
        return new BenchReport("memory", MachineInfo.Current(), rows, goals);
    }

    /// <summary>
    /// The largest job of each module the board admits: one image, one channel, as wide as the module's
    /// line buffer takes and as high as the partition's DMA buffer holds in a pass (input and output
    /// planes); and, in a full run, a multi-channel int8 job whose passes sum across channels.
    /// </summary>
    private static IEnumerable<LargeJob> LargestJobs(bool quick)
    {
        var buffer = new SimulatedBoardOptions().DdrBytes;
        foreach (var module in ConvModule.All)
        {
            var spec = new ConvSpec(module, 1, ConvPadding.Same, 4, ConvOutputMode.Requantized);
            var width = ConvRegisterMap.MaxWidth(module.KernelSize);
            var height = (int)(buffer / 2 / width / (module.Bits / 8));
            while (ConvDriver.Refusal(spec, new TensorShape(1, 1, height, width), buffer) is not null)
            {
                height--;
            }
            yield return new LargeJob(module, [1, 1, height, width], 1);
        }
        if (!quick)
        {
            yield return new LargeJob(ConvModule.Resolve("conv3x3_int8"), [1, 4, 2046, 2046], 4);
        }
    }

    /// <summary>Bodies the service must refuse, each a different way: too large declared, too large streamed, a job larger than the board runs.</summary>
    private static IEnumerable<(string What, HttpContent Body)> RefusedBodies()
    {
        var int8 = ConvModule.Resolve("conv3x3_int8");
        yield return ("200 MB declared (Content-Length)", new TensorBody(int8, [1, 1, 12000, 12000], 1, seed: 3));
        yield return ("200 MB chunked", new TensorBody(int8, [1, 1, 12000, 12000], 1, seed: 3, chunked: true));
        yield return ("2046x20000 int8: more than the DMA buffer", new TensorBody(int8, [1, 1, 20000, 2046], 1, seed: 3));
        yield return ("1x4000 int8: wider than the line buffer", new TensorBody(int8, [1, 1, 1, 4000], 1, seed: 3));
    }

    private static double Round(double bytes) => Math.Round(bytes / MB, 1);

    /// <summary>A line of the table; every step has the same columns, empty where they do not apply.</summary>
    private static Dictionary<string, object?> Row(string step, string runtime, string what, string outcome, TimeSpan? took = null, double? rss = null, double? peak = null, double? bound = null) => new()
    {
        ["step"] = step,
        ["runtime"] = runtime,
        ["what"] = what,
        ["outcome"] = outcome,
        ["seconds"] = took is { } t ? Math.Round(t.TotalSeconds, 1) : null,
        ["RSS MB"] = rss is { } r ? Round(r) : null,
        ["peak over baseline MB"] = peak is { } p ? Round(p) : null,
        ["bound MB"] = bound is { } b ? Round(b) : null,
    };

    private sealed record LargeJob(ConvModule Module, int[] Input, int OutputChannels);

    /// <summary>A <c>dpr serve</c> process of the benchmark, with its tenants, on a data directory of its own.</summary>
    private sealed class BenchServer : IDisposable
    {
        private const int Tenants = 8;
        private readonly string _data = Path.Combine(Path.GetTempPath(), $"dpr-bench-memory-{Guid.NewGuid():N}");
        private readonly int _port = ServeProcess.FreePort();
        private readonly IReadOnlyDictionary<string, string> _environment;
        private ServeProcess? _process;

        private BenchServer(IReadOnlyDictionary<string, string> environment)
        {
            var store = new TenantStore(_data);
            Keys = [.. Enumerable.Range(0, Tenants).Select(i => store.Add($"tenant-{i}", admin: false))];
            Clients = [.. Keys.Select(key => new MemoryClient(Url, key))];
            _environment = new Dictionary<string, string>(environment)
            {
                ["DPR__REQUESTSPERSECONDPERTENANT"] = "100000000",
                ["Serilog__MinimumLevel__Default"] = "Warning",
            };
        }

        public Uri Url => new($"http://127.0.0.1:{_port}");

        public IReadOnlyList<string> Keys { get; }

        public IReadOnlyList<MemoryClient> Clients { get; }

        public int Pid => _process!.Id;

        public static async Task<BenchServer> StartAsync(IReadOnlyDictionary<string, string> environment)
        {
            var server = new BenchServer(environment);
            await server.StartAsync();
            return server;
        }

        private async Task StartAsync()
        {
            _process = ServeProcess.Start(_data, _port, _environment);
            await _process.WaitReadyAsync(TimeSpan.FromMinutes(5));
        }

        /// <summary>Resident memory once every module has run a job and its result was read, and the service has been idle a moment.</summary>
        public async Task<long> WarmBaselineAsync()
        {
            var client = Clients[0];
            foreach (var module in ConvModule.All)
            {
                var (status, id, detail) = await client.SubmitAsync(new ByteArrayContent(MemoryClient.TinyJob(module.Name.Value, 1)));
                var accepted = id ?? throw new InvalidOperationException($"a warm-up job was refused with {(int)status}: {detail}");
                if ((await client.WaitAsync(accepted, JobTimeout)).State == "completed")
                {
                    await client.ReadResultAsync(accepted);
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(3));
            return ProcessMemory.Rss(Pid);
        }

        /// <summary><paramref name="count"/> tiny jobs over every tenant and module, until all have ended.</summary>
        public async Task FloodAsync(int count)
        {
            var bodies = ConvModule.All.Select((m, i) => MemoryClient.TinyJob(m.Name.Value, i)).ToList();
            await Task.WhenAll(Clients.Select((c, i) => c.FloodAsync(bodies[i % bodies.Count], (count / Tenants) + (i < count % Tenants ? 1 : 0), window: 8, keep: false)));
            await Task.WhenAll(Clients.Select(c => c.DrainAsync(TimeSpan.FromMinutes(30))));
        }

        /// <summary>SIGTERM, start again, and the warm baseline of the restarted service.</summary>
        public async Task<long> RestartAsync()
        {
            using (var process = _process!)
            {
                process.Terminate();
                process.WaitForExit(TimeSpan.FromMinutes(2));
            }
            await StartAsync();
            return await WarmBaselineAsync();
        }

        public void Dispose()
        {
            foreach (var client in Clients)
            {
                client.Dispose();
            }
            _process?.Dispose();
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
    }
}
