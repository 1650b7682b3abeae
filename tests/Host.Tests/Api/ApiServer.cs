using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Eventually = Dpr.TestKit.Eventually;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// <c>dpr serve</c> in process on the ASP.NET Core test server, on a fresh data directory with three
/// tenants: alice and bob, and ops with an admin key.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app, string data, IReadOnlyDictionary<string, string> keys)
    {
        _app = app;
        Data = data;
        Keys = keys;
    }

    public string Data { get; }

    public IReadOnlyDictionary<string, string> Keys { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The address of the server when it listens on a real loopback port (started with <c>kestrel: true</c>).</summary>
    public Uri? Url => _app.Urls.Select(u => new Uri(u)).FirstOrDefault();

    /// <param name="kestrel">Listen on a free loopback port instead of the in-memory test server (for clients that open sockets).</param>
    /// <param name="customize">More for the builder, e.g. a service replaced (the settings are in its configuration).</param>
    /// <param name="routes">Endpoints of the test's own, mapped before the server starts.</param>
    /// <param name="prepare">Writes into the fresh data directory before the service starts (a module catalog of the test's own).</param>
    public static async Task<ApiServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, bool kestrel = false, Action<WebApplicationBuilder>? customize = null, Action<WebApplication>? routes = null, Action<string>? prepare = null)
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-api-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        prepare?.Invoke(data);
        var tenants = new TenantStore(data);
        var keys = new Dictionary<string, string> { ["alice"] = tenants.Add("alice", false), ["bob"] = tenants.Add("bob", false), ["ops"] = tenants.Add("ops", true) };
        var overrides = new Dictionary<string, string?> { ["Dpr:Data"] = data, ["Serilog:MinimumLevel:Default"] = "Warning", ["Dpr:Urls"] = "http://127.0.0.1:0" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }
        var app = DprService.Build(overrides, builder =>
        {
            if (!kestrel)
            {
                builder.WebHost.UseTestServer();
            }
            customize?.Invoke(builder);
        });
        routes?.Invoke(app);
        await app.StartAsync();
        return new ApiServer(app, data, keys);
    }

    /// <summary>The service stopped as <c>dpr serve</c> stops on SIGTERM and started again on the same data directory (in-memory test server, default settings).</summary>
    /// <param name="sameUrl">Listen again on the loopback port this one has (a browser reconnects to the same address).</param>
    public async Task<ApiServer> RestartAsync(bool sameUrl = false)
    {
        var url = sameUrl ? Url!.ToString().TrimEnd('/') : "http://127.0.0.1:0";
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var app = DprService.Build(
            new Dictionary<string, string?> { ["Dpr:Data"] = Data, ["Serilog:MinimumLevel:Default"] = "Warning", ["Dpr:Urls"] = url },
            builder =>
            {
                if (!sameUrl)
                {
                    builder.WebHost.UseTestServer();
                }
            });
        await app.StartAsync();
        return new ApiServer(app, Data, Keys);
    }

    /// <summary>A client with <paramref name="tenant"/>'s key, or none (over the loopback port when the server has one).</summary>
    public HttpClient Client(string? tenant)
    {
        var client = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>() is TestServer ? _app.GetTestClient() : new HttpClient { BaseAddress = Url };
        if (tenant is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Keys[tenant]);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing thread: the temporary directory is left behind.
        }
    }
}

/// <summary>Jobs for the API tests: random tensors of a module's precision, and what the reference says they give.</summary>
public static class TestJobs
{
    public static (SubmitJobDto Job, byte[] Expected) Make(string module, int[] input, int[] weights, int seed, string padding = "same", int shift = 0)
    {
        var conv = ConvModule.Resolve(module);
        var width = conv.Bits / 8;
        var rng = new Random(seed);
        var range = conv.Bits == 8 ? 100 : 1000;
        byte[] Tensor(int[] shape) => TensorBytes.Encode(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => rng.Next(-range, range)).ToArray(), width);
        var (inputBytes, weightBytes) = (Tensor(input), Tensor(weights));
        long[] bias = [.. Enumerable.Range(0, weights[0]).Select(i => (long)(i * 3))];
        var job = new SubmitJobDto(module, new TensorDto(input, Convert.ToBase64String(inputBytes)), new TensorDto(weights, Convert.ToBase64String(weightBytes)),
            Bias: bias, Shift: shift, Padding: padding);
        var problem = new JobRequest("test", module, Stride: 1, padding, shift, Output: "requantized", input, inputBytes, weights, weightBytes, bias).ToProblem();
        return (job, TensorBytes.Encode(ConvReference.Requantized(problem), width));
    }

    public static async Task<SubmittedDto> SubmitAsync(HttpClient client, SubmitJobDto job)
    {
        var response = await client.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SubmittedDto>(ApiJson.Options))!;
    }

    public static async Task<JobDto> WaitAsync(HttpClient client, Guid id, TimeSpan? timeout = null)
    {
        JobDto job = null!;
        await Eventually.TrueAsync(
            async () => (job = (await client.GetFromJsonAsync<JobDto>($"/v1/jobs/{id}", ApiJson.Options))!).State is "completed" or "failed" or "cancelled",
            () => $"job {id} ended; last state {job?.State}", timeout ?? TimeSpan.FromSeconds(60));
        return job;
    }
}
