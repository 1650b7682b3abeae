using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;
using Dpr.Host.Api;

namespace Dpr.Host.Bench.Soak;

/// <summary>
/// One tenant of the soak: keeps up to <see cref="Window"/> jobs open, submits small jobs of random
/// modules (each with an idempotency key, resent unchanged when no answer came, as a careful client
/// does across a restart), follows each acknowledged job to its end and checks its result against the
/// reference. Everything it learns goes to the <see cref="SoakLedger"/>.
/// </summary>
/// <param name="retention">The service's: a job unseen for that long may have finished and been deleted.</param>
internal sealed class SoakTenant(string name, string key, Uri url, IReadOnlyList<string> modules, SoakLedger ledger, TimeSpan stuckAfter, TimeSpan retention, int seed)
{
    private const int Window = 48;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    private readonly Random _random = new(seed);
    private readonly List<Open> _open = [];
    private Job? _unanswered;
    private long _next;

    /// <summary>Submits <paramref name="jobs"/> jobs, then follows the open ones until they end or <paramref name="drain"/> passes.</summary>
    public async Task RunAsync(long jobs, TimeSpan drain, CancellationToken abort)
    {
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(15) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Stopwatch? draining = null;
        while (!abort.IsCancellationRequested)
        {
            var submitting = _next < jobs || _unanswered is not null;
            if (!submitting && _open.Count == 0)
            {
                return;
            }
            if (!submitting && (draining ??= Stopwatch.StartNew()).Elapsed > drain)
            {
                foreach (var open in _open)
                {
                    ledger.Lose(open.Id, $"never finished: still open {drain.TotalSeconds:0} s after the last submission");
                }
                return;
            }
            var reachable = true;
            while (reachable && (_next < jobs || _unanswered is not null) && _open.Count < Window)
            {
                reachable = await SubmitAsync(client, _unanswered ?? NextJob());
            }
            var wasOpen = _open.Count;
            if (reachable)
            {
                reachable = await FollowAsync(client);
            }
            if (!reachable)
            {
                await Task.Delay(Pause, abort);
            }
            else if (_open.Count == wasOpen && wasOpen > 0)
            {
                // Nothing ended since the last look: give the board a moment rather than asking again at once.
                await Task.Delay(Pause / 5, abort);
            }
        }
    }

    private Job NextJob()
    {
        var module = modules[_random.Next(modules.Count)];
        var conv = ConvModule.Resolve(module);
        var width = conv.Bits / 8;
        var range = conv.Bits == 8 ? 100 : 1000;
        int[] input = [1, 1, 8, 8];
        int[] weights = [1, 1, conv.KernelSize, conv.KernelSize];
        byte[] Tensor(int[] shape) => TensorBytes.Encode([.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => _random.Next(-range, range))], width);
        var idempotencyKey = $"{name}-{_next++}";
        var (inputBytes, weightBytes) = (Tensor(input), Tensor(weights));
        long[] bias = [_random.Next(-50, 50)];
        var dto = new SubmitJobDto(module, new TensorDto(input, Convert.ToBase64String(inputBytes)), new TensorDto(weights, Convert.ToBase64String(weightBytes)),
            Bias: bias, IdempotencyKey: idempotencyKey);
        var request = new JobRequest(name, module, Stride: 1, Padding: "same", Shift: 0, Output: "requantized", input, inputBytes, weights, weightBytes, bias);
        var expected = TensorBytes.Encode(ConvReference.Requantized(request.ToProblem()), width);
        return new Job(idempotencyKey, dto, expected);
    }

    /// <returns>False when the service did not answer or asked to wait: the job is resent later.</returns>
    private async Task<bool> SubmitAsync(HttpClient client, Job job)
    {
        _unanswered = job;
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsJsonAsync("/v1/jobs", job.Dto, ApiJson.Options);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.Accepted:
                    var submitted = (await response.Content.ReadFromJsonAsync<SubmittedDto>(ApiJson.Options))!;
                    _unanswered = null;
                    // A resent job answers with the id of its first acceptance (duplicate: true): still one job.
                    if (ledger.Acknowledge(job.Key, submitted.Id))
                    {
                        _open.Add(new Open(submitted.Id, job, Stopwatch.StartNew()));
                    }
                    return true;
                case HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.InsufficientStorage:
                    return false;
                default:
                    _unanswered = null;
                    ledger.Refuse((int)response.StatusCode, await response.Content.ReadAsStringAsync());
                    return true;
            }
        }
    }

    /// <returns>False when the service did not answer.</returns>
    private async Task<bool> FollowAsync(HttpClient client)
    {
        foreach (var open in _open.ToList())
        {
            JobDto? job;
            try
            {
                using var response = await client.GetAsync($"/v1/jobs/{open.Id}");
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    if (open.SeenOpen.Elapsed >= retention)
                    {
                        ledger.Expire(open.Id, open.SeenOpen.Elapsed);
                    }
                    else
                    {
                        ledger.Lose(open.Id, "is unknown to the service before it finished");
                    }
                    Settle(open);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
                job = await response.Content.ReadFromJsonAsync<JobDto>(ApiJson.Options);
                switch (job!.State)
                {
                    case "completed":
                        using (var result = await client.GetAsync($"/v1/jobs/{open.Id}/result"))
                        {
                            if (!result.IsSuccessStatusCode)
                            {
                                return false;
                            }
                            var dto = (await result.Content.ReadFromJsonAsync<ResultDto>(ApiJson.Options))!;
                            ledger.Complete(open.Id, Convert.FromBase64String(dto.Data).AsSpan().SequenceEqual(open.Job.Expected));
                        }
                        Settle(open);
                        break;
                    case "failed":
                        ledger.Fail(open.Id, job.Error);
                        Settle(open);
                        break;
                    case "cancelled":
                        ledger.Lose(open.Id, "was cancelled, by nobody");
                        Settle(open);
                        break;
                    default:
                        open.SeenOpen.Restart();
                        if (!open.Stuck && open.Since.Elapsed > stuckAfter)
                        {
                            open.Stuck = true;
                            ledger.MarkStuck(open.Id, open.Since.Elapsed);
                        }
                        break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    private void Settle(Open open)
    {
        _open.Remove(open);
        ledger.Forget(open.Job.Key);
    }

    private sealed record Job(string Key, SubmitJobDto Dto, byte[] Expected);

    private sealed class Open(Guid id, Job job, Stopwatch since)
    {
        public Guid Id { get; } = id;

        public Job Job { get; } = job;

        public Stopwatch Since { get; } = since;

        /// <summary>Since the service last said the job is open (or acknowledged it).</summary>
        public Stopwatch SeenOpen { get; } = Stopwatch.StartNew();

        public bool Stuck { get; set; }
    }
}
