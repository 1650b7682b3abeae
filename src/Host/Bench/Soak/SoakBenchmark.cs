using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Actors.Journal;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace Dpr.Host.Bench.Soak;

/// <summary>
/// <c>dpr bench soak</c>: a real <c>dpr serve</c> process run the way months of service run it, in
/// minutes. Eight tenants submit small jobs of every module and check every result; an operator loads
/// modules and resets faulted partitions; SEM upsets and port faults are injected; the service is
/// stopped with SIGTERM or killed with SIGKILL at random moments and started again. Retention is
/// shortened (<c>Dpr:ResultRetentionHours</c>, <c>Dpr:SwapHistoryDays</c>) so that many retention
/// periods pass in the run: weeks of a service's history in minutes. With <c>--journal postgres</c> the
/// journal, results and blobs are in a throwaway PostgreSQL server that is restarted during the run.
/// <para>
/// Goals (issue 15), from the clients' own audit (<see cref="SoakLedger"/>): no acknowledged job
/// lost, duplicated, with a wrong result or stuck; and once retention is reached, the footprint flat:
/// the peaks of resident memory, data-directory bytes and journal rows over the last window of jobs
/// within 5% of the window before (the first window, while retention fills, is not judged).
/// </para>
/// </summary>
public sealed class SoakBenchmark : IBenchmarkWithOptions
{
    private const int Tenants = 8;
    private const double FlatPercent = 5;

    private readonly Option<long?> _jobs = new("--jobs") { Description = "Jobs in all (default 300,000; 9,000 with --quick)." };
    private readonly Option<long?> _window = new("--window") { Description = "Jobs per footprint window (default 100,000; 3,000 with --quick)." };
    private readonly Option<double?> _retention = new("--retention-seconds") { Description = "How long a finished job is kept (default 60; 15 with --quick)." };
    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the jobs and the disturbances.", DefaultValueFactory = _ => 1 };
    private readonly Option<string> _journal = new("--journal")
    {
        Description = "sqlite (files in the data directory; short journal outages injected) or postgres (a throwaway PostgreSQL server, restarted during the run).",
        DefaultValueFactory = _ => "sqlite",
    };

    public string Name => "soak";

    public string Description => "Months of service in minutes: 8 tenants, operator actions, upsets, port faults, SIGTERM/SIGKILL restarts; audits every job and the footprint's growth.";

    public IReadOnlyList<Option> Options => [_jobs, _window, _retention, _seed, _journal];

    public BenchReport Run(bool quick, IAnsiConsole console) => Run(quick, null, console);

    public BenchReport Run(bool quick, ParseResult? parse, IAnsiConsole console)
    {
        var settings = new SoakSettings(
            parse?.GetValue(_jobs) ?? (quick ? 9_000 : 300_000),
            parse?.GetValue(_window) ?? (quick ? 3_000 : 100_000),
            TimeSpan.FromSeconds(parse?.GetValue(_retention) ?? (quick ? 15 : 60)),
            parse?.GetValue(_seed) ?? 1,
            quick,
            string.Equals(parse?.GetValue(_journal), "postgres", StringComparison.OrdinalIgnoreCase));
        var data = Path.Combine(Path.GetTempPath(), $"dpr-bench-soak-{Guid.NewGuid():N}");
        using var postgres = settings.Postgres ? TemporaryPostgresCluster.Start() : null;
        try
        {
            return RunAsync(settings, data, postgres, console).GetAwaiter().GetResult();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task<BenchReport> RunAsync(SoakSettings settings, string data, TemporaryPostgresCluster? postgres, IAnsiConsole console)
    {
        var store = new TenantStore(data);
        var admin = store.Add("ops", admin: true);
        var keys = Enumerable.Range(0, Tenants).Select(i => (Name: $"tenant-{i}", Key: store.Add($"tenant-{i}", admin: false))).ToList();
        var environment = new Dictionary<string, string>
        {
            ["DPR__RESULTRETENTIONHOURS"] = settings.Retention.TotalHours.ToString("R", CultureInfo.InvariantCulture),
            ["DPR__SWAPHISTORYDAYS"] = settings.Retention.TotalDays.ToString("R", CultureInfo.InvariantCulture),
            ["DPR__REQUESTSPERSECONDPERTENANT"] = "100000000",
            ["Serilog__MinimumLevel__Default"] = "Warning",
        };
        if (postgres is not null)
        {
            environment["DPR__JOURNAL"] = "postgres";
            environment["DPR__CONNECTION"] = postgres.ConnectionString;
            // A restarted PostgreSQL is found again within a second.
            environment["DPR__JOURNALPROBESECONDS"] = "1";
        }
        using var server = new SoakServer(data, environment);
        await server.StartAsync();
        using var adminClient = new HttpClient { BaseAddress = server.Url };
        adminClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        var catalog = (await adminClient.GetFromJsonAsync<ModuleListDto>("/v1/modules", ApiJson.Options))!;
        var modules = catalog.Modules.Select(m => m.Name).ToList();
        var partition = catalog.Modules.Select(m => m.Partition).Distinct().Single();
        console.MarkupLineInterpolated($"dpr serve at {server.Url}: {settings.Jobs:N0} jobs from {Tenants} tenants over {modules.Count} modules in {partition}, retention {settings.Retention.TotalSeconds:0} s, a footprint every {settings.Window:N0} jobs");

        var ledger = new SoakLedger();
        var stuckAfter = TimeSpan.FromSeconds(60);
        using var abort = new CancellationTokenSource();
        using var stopOperator = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var tenants = keys.Select((t, i) => new SoakTenant(t.Name, t.Key, server.Url, modules, ledger, stuckAfter, settings.Retention, settings.Seed * 100 + i)
            .RunAsync(settings.Jobs / Tenants, stuckAfter, abort.Token)).ToList();
        var operatorLoop = new SoakOperator(server, admin, modules, partition, settings.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(6), postgres, settings.Seed);
        var operatorTask = operatorLoop.RunAsync(stopOperator.Token);

        var windows = new List<SoakWindow>();
        var all = Task.WhenAll(tenants);
        SoakFootprint? peak = null;
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(500));
            // The footprint is a sawtooth (the journal grows until a snapshot lets it be deleted): each window reports its peak.
            if (SoakFootprint.Measure(server.ProcessId, data, postgres?.ConnectionString) is { } now)
            {
                peak = SoakFootprint.Max(peak, now);
            }
            if (peak is not null && ledger.Finished >= (windows.Count + 1) * settings.Window)
            {
                windows.Add(new SoakWindow(windows.Count + 1, ledger.Finished, clock.Elapsed, peak, operatorLoop.Restarts));
                console.MarkupLineInterpolated($"  {ledger.Finished:N0} jobs, {clock.Elapsed.TotalSeconds:0} s: peak RSS {peak.RssBytes / 1e6:0.0} MB, data {peak.DataBytes / 1e6:0.0} MB, {peak.JournalRows:N0} journal rows; {operatorLoop.Restarts} restarts");
                peak = null;
            }
        }
        await all;
        stopOperator.Cancel();
        await operatorTask;
        var exit = server.Stop();

        foreach (var sample in ledger.Samples.Concat(server.Failures))
        {
            console.MarkupLineInterpolated($"[yellow]{sample}[/]");
        }
        var rows = windows.Select(w => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["window"] = w.Number,
            ["jobs finished"] = w.Finished,
            ["seconds"] = Math.Round(w.At.TotalSeconds, 1),
            ["peak RSS MB"] = Math.Round(w.Footprint.RssBytes / 1e6, 1),
            ["peak data MB"] = Math.Round(w.Footprint.DataBytes / 1e6, 2),
            ["peak journal rows"] = w.Footprint.JournalRows,
            ["restarts so far"] = w.Restarts,
        }).ToList();
        rows.Add(new Dictionary<string, object?>
        {
            ["window"] = "all",
            ["jobs finished"] = ledger.Finished,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ["acknowledged"] = ledger.Acknowledged,
            ["completed"] = ledger.Completed,
            ["failed (with a reason)"] = ledger.Failed,
            ["expired unseen (not judged)"] = ledger.Expired,
            ["disturbances"] = string.Join(", ", operatorLoop.Done.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key} {d.Value}")),
            ["final exit code"] = exit,
        });
        var (previous, last) = windows.Count >= 3 ? (windows[^2].Footprint, windows[^1].Footprint) : (null, null);
        return new BenchReport("soak", MachineInfo.Current(), rows,
        [
            BenchGoal.AtMost("acknowledged jobs lost", 0, ledger.Lost, "jobs"),
            BenchGoal.AtMost("acknowledged jobs duplicated", 0, ledger.Duplicated, "jobs"),
            BenchGoal.AtMost("wrong results (against the reference)", 0, ledger.Wrong, "jobs"),
            BenchGoal.AtMost($"jobs stuck past {stuckAfter.TotalSeconds:0} s", 0, ledger.Stuck, "jobs"),
            BenchGoal.AtMost("valid requests refused", 0, ledger.Refused, "requests"),
            BenchGoal.AtMost("restarts that failed (SIGTERM not exiting 0 within a minute, a start not ready)", 0, server.Failures.Count, "restarts"),
            BenchGoal.AtMost("final SIGTERM exit code", 0, exit, "code"),
            Growth("peak RSS growth, last window over the one before", previous?.RssBytes, last?.RssBytes),
            Growth("peak data-directory growth, last window over the one before", previous?.DataBytes, last?.DataBytes),
            Growth("peak journal-row growth, last window over the one before", previous?.JournalRows, last?.JournalRows),
        ]);
    }

    /// <summary>The last window's growth over the one before, in percent; not met (and -1) without three windows (the first is warm-up).</summary>
    private static BenchGoal Growth(string name, long? previous, long? last) =>
        previous is { } p && last is { } l
            ? BenchGoal.AtMost(name, FlatPercent, Math.Round(100.0 * (l - p) / Math.Max(1, p), 2), "%")
            : new BenchGoal(name + " (needs three windows)", FlatPercent, -1, "%", false);

    private sealed record SoakSettings(long Jobs, long Window, TimeSpan Retention, int Seed, bool Quick, bool Postgres);

    private sealed record SoakWindow(int Number, long Finished, TimeSpan At, SoakFootprint Footprint, int Restarts);
}
