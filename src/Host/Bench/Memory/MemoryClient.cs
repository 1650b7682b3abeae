using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dpr.Fabric.Convolution;
using Dpr.Host.Api;

namespace Dpr.Host.Bench.Memory;

/// <summary>One tenant of <c>dpr bench memory</c>: submits jobs, follows them to their end, reads results and drops them.</summary>
internal sealed class MemoryClient(Uri url, string key) : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        BaseAddress = url,
        Timeout = TimeSpan.FromMinutes(10),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
    };

    /// <summary>The answer to a submission: its status, the job when accepted, else the problem's detail.</summary>
    public async Task<(HttpStatusCode Status, Guid? Id, string Detail)> SubmitAsync(HttpContent body)
    {
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // A large body waits for "100 Continue": a service that refuses it by its headers answers before it is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = body };
        request.Headers.ExpectContinue = body.Headers.ContentLength is null or > 1 << 20;
        try
        {
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.Accepted
                ? (response.StatusCode, System.Text.Json.JsonSerializer.Deserialize<SubmittedDto>(text, ApiJson.Options)!.Id, "")
                : (response.StatusCode, null, text);
        }
        catch (HttpRequestException e)
        {
            // The service answered before the body was sent and closed the connection (a refusal of a large body).
            return (e.StatusCode ?? 0, null, e.Message);
        }
    }

    /// <summary>The job once it has ended (completed, failed or cancelled).</summary>
    public async Task<JobDto> WaitAsync(Guid id, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = (await _http.GetFromJsonAsync<JobDto>($"/v1/jobs/{id}", ApiJson.Options))!;
            if (job.State is "completed" or "failed" or "cancelled")
            {
                return job;
            }
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"job {id} is still {job.State} after {timeout.TotalSeconds:0} s");
            }
            await Task.Delay(Poll);
        }
    }

    /// <summary>Reads a completed job's result and drops it; the bytes of the response.</summary>
    public async Task<long> ReadResultAsync(Guid id)
    {
        using var response = await _http.GetAsync($"/v1/jobs/{id}/result", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var sink = new CountingStream();
        await response.Content.CopyToAsync(sink);
        return sink.Length;
    }

    /// <summary>A small job of <paramref name="module"/> that ends in a millisecond: warm-up, floods and history.</summary>
    public static byte[] TinyJob(string module, int seed)
    {
        var conv = ConvModule.Resolve(module);
        var random = new Random(seed);
        var k = conv.KernelSize;
        string Tensor(int count) => Convert.ToBase64String(TensorBytes.Encode([.. Enumerable.Range(0, count).Select(_ => random.Next(-50, 51))], conv.Bits / 8));
        return Encoding.UTF8.GetBytes($$"""{"module":"{{module}}","input":{"shape":[1,1,8,8],"data":"{{Tensor(64)}}"},"weights":{"shape":[1,1,{{k}},{{k}}],"data":"{{Tensor(k * k)}}"},"shift":2}""");
    }

    /// <summary>Submits <paramref name="count"/> copies of <paramref name="body"/>, at most <paramref name="window"/> at once, retrying what is refused for now (429, 503).</summary>
    public async Task<List<Guid>> FloodAsync(byte[] body, int count, int window, bool keep)
    {
        var ids = new List<Guid>();
        var next = 0;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                while (true)
                {
                    var (status, id, detail) = await SubmitAsync(new ByteArrayContent(body));
                    if (id is { } accepted)
                    {
                        if (keep)
                        {
                            lock (ids)
                            {
                                ids.Add(accepted);
                            }
                        }
                        break;
                    }
                    if (status is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
                    {
                        throw new InvalidOperationException($"a tiny job was refused with {(int)status}: {detail}");
                    }
                    await Task.Delay(Poll);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, window).Select(_ => Task.Run(Worker)));
        return ids;
    }

    /// <summary>Waits until the tenant has no queued or running job.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        foreach (var state in new[] { "queued", "running" })
        {
            while ((await _http.GetFromJsonAsync<JobListDto>($"/v1/jobs?state={state}&limit=1", ApiJson.Options))!.Jobs.Count > 0)
            {
                if (DateTime.UtcNow > until)
                {
                    throw new TimeoutException($"jobs still {state} after {timeout.TotalSeconds:0} s");
                }
                await Task.Delay(Poll * 4);
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
