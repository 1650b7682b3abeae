using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Host.Api;

namespace Dpr.Host.Bench.Fairness;

/// <summary>
/// The tenants of <c>dpr bench fairness</c> against one <c>dpr serve</c>: submits a scenario's jobs (each
/// as its own tenant, or all as one), waits until none is open, and reads back what the service recorded
/// of each, with the swaps the run cost (from <c>/metrics</c>). Jobs planned at zero are the backlogs:
/// they go in first, as fast as they are taken; the others arrive at their times from then on, as in the
/// issue (mallory queues her jobs, then bob submits), so an arrival's wait is the scheduler's doing and
/// not the journal's, busy with a backlog of submissions.
/// </summary>
internal sealed class FairnessClient(Uri url, IReadOnlyDictionary<string, string> keys) : IDisposable
{
    /// <summary>Submissions in flight at once: the backlogs go in quickly, arrivals are not held up behind them.</summary>
    private const int Concurrency = 8;

    private readonly Dictionary<string, HttpClient> _clients = keys.ToDictionary(
        k => k.Key,
        k => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency, UseProxy = false })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", k.Value) },
        },
        StringComparer.Ordinal);

    /// <summary>Runs <paramref name="plan"/>; with <paramref name="asOne"/>, every job is submitted by that one tenant.</summary>
    public async Task<(IReadOnlyList<RanJob> Jobs, long Swaps, TimeSpan Elapsed)> RunAsync(IReadOnlyList<PlannedJob> plan, string? asOne, TimeSpan limit)
    {
        var swapsBefore = await SwapsAsync();
        var clock = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(Concurrency);
        var backlog = await Task.WhenAll(plan.Where(p => p.At == TimeSpan.Zero).Select(Submit));
        var arrivals = Stopwatch.StartNew();
        var submitted = backlog.Concat(await Task.WhenAll(plan.Where(p => p.At > TimeSpan.Zero).Select(async p =>
        {
            if (p.At - arrivals.Elapsed is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait);
            }
            return await Submit(p);
        }))).ToList();

        async Task<(PlannedJob Plan, string Tenant, Guid Id)> Submit(PlannedJob p)
        {
            await gate.WaitAsync();
            try
            {
                return (p, asOne ?? p.Tenant, await SubmitAsync(_clients[asOne ?? p.Tenant], p.Job));
            }
            finally
            {
                gate.Release();
            }
        }

        var (jobs, elapsed) = await DrainAndReadAsync(submitted, clock, limit);
        return (jobs, await SwapsAsync() - swapsBefore, elapsed);
    }

    /// <summary>
    /// Backlogged tenants: each keeps <paramref name="open"/> jobs open (submitting more as its jobs start)
    /// for <paramref name="duration"/>. They are all backlogged from the moment the last one has filled its
    /// backlog (<c>From</c>, the service's stamp) until submissions stop (<c>To</c>): jobs were still queued then.
    /// </summary>
    public async Task<(IReadOnlyList<RanJob> Jobs, DateTimeOffset From, DateTimeOffset To, long Swaps)> RunBackloggedAsync(
        IReadOnlyList<(string Tenant, Func<int, SubmitJobDto> Job)> tenants, int open, TimeSpan duration, TimeSpan limit)
    {
        var swapsBefore = await SwapsAsync();
        var clock = Stopwatch.StartNew();
        var filled = new DateTimeOffset[tenants.Count];
        var submitted = await Task.WhenAll(tenants.Select(async (t, i) =>
        {
            var client = _clients[t.Tenant];
            var mine = new List<(PlannedJob Plan, string Tenant, Guid Id)>();
            var queued = 0;
            while (clock.Elapsed < duration)
            {
                // Topped up four at a time, so a client keeps ahead of its share of the board.
                foreach (var chunk in Enumerable.Range(mine.Count, Math.Max(0, open - queued)).Chunk(4))
                {
                    var plans = chunk.Select(n => new PlannedJob(clock.Elapsed, t.Tenant, t.Tenant, t.Job(n))).ToList();
                    var ids = await Task.WhenAll(plans.Select(p => SubmitAsync(client, p.Job)));
                    mine.AddRange(plans.Zip(ids, (p, id) => (p, t.Tenant, id)));
                }
                if (filled[i] == default)
                {
                    filled[i] = DateTimeOffset.UtcNow;
                }
                await Task.Delay(50);
                queued = (await client.GetFromJsonAsync<JobListDto>($"/v1/jobs?state=queued&limit={open}", ApiJson.Options))!.Jobs.Count;
            }
            return mine;
        }));
        var to = DateTimeOffset.UtcNow;
        var (jobs, _) = await DrainAndReadAsync([.. submitted.SelectMany(m => m)], clock, limit);
        return (jobs, filled.Max(), to, await SwapsAsync() - swapsBefore);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private async Task<(List<RanJob> Jobs, TimeSpan Elapsed)> DrainAndReadAsync(IReadOnlyList<(PlannedJob Plan, string Tenant, Guid Id)> submitted, Stopwatch clock, TimeSpan limit)
    {
        foreach (var tenant in submitted.Select(s => s.Tenant).Distinct())
        {
            while (await OpenAsync(_clients[tenant]))
            {
                if (clock.Elapsed > limit)
                {
                    throw new TimeoutException($"{tenant}'s jobs were still open {limit.TotalSeconds:0} s after the scenario started");
                }
                await Task.Delay(100);
            }
        }
        var elapsed = clock.Elapsed;
        var jobs = new List<RanJob>();
        foreach (var chunk in submitted.Chunk(Concurrency))
        {
            jobs.AddRange(await Task.WhenAll(chunk.Select(async s =>
                new RanJob(s.Plan, (await _clients[s.Tenant].GetFromJsonAsync<JobDto>($"/v1/jobs/{s.Id}", ApiJson.Options))!))));
        }
        var failed = jobs.FirstOrDefault(j => j.Job.State != "completed");
        if (failed is not null)
        {
            throw new InvalidOperationException($"job {failed.Job.Id} ({failed.Plan.Role}) ended {failed.Job.State}: {failed.Job.Error}");
        }
        return (jobs, elapsed);
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, SubmitJobDto job)
    {
        using var response = await client.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"a submission got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return (await response.Content.ReadFromJsonAsync<SubmittedDto>(ApiJson.Options))!.Id;
    }

    private static async Task<bool> OpenAsync(HttpClient client)
    {
        foreach (var state in new[] { "queued", "running" })
        {
            if ((await client.GetFromJsonAsync<JobListDto>($"/v1/jobs?state={state}&limit=1", ApiJson.Options))!.Jobs.Count > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Completed swaps so far, summed over modules from <c>dpr_swaps_total</c>.</summary>
    private async Task<long> SwapsAsync()
    {
        var text = await _clients.Values.First().GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith("dpr_swaps_total{", StringComparison.Ordinal) && l.Contains("outcome=\"completed\"", StringComparison.Ordinal))
            .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
