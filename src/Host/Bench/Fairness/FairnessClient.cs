using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Host.Api;

namespace Dpr.Host.Bench.Fairness;

/// <summary>
/// The tenants of <c>dpr bench fairness</c> against one <c>dpr serve</c>: submits a scenario's jobs at
/// their times (each as its own tenant, or all as one), waits until none is open, and reads back what
/// the service recorded of each, with the swaps the run cost (from <c>/metrics</c>).
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
        var submitted = await Task.WhenAll(plan.Select(async p =>
        {
            if (p.At - clock.Elapsed is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait);
            }
            await gate.WaitAsync();
            try
            {
                return (Plan: p, Tenant: asOne ?? p.Tenant, Id: await SubmitAsync(_clients[asOne ?? p.Tenant], p.Job));
            }
            finally
            {
                gate.Release();
            }
        }));
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
        return (jobs, await SwapsAsync() - swapsBefore, elapsed);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
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
