using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dpr.Host.Tests.Api;
using Dpr.Host.Service;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// Hostile clients against the real <c>dpr serve</c>: a tenant flooding the API is slowed down with 429s
/// while another tenant and the health check are served; oversized headers are refused by Kestrel.
/// </summary>
public class HostileClientServeTests
{
    [Fact]
    public async Task A_flooding_tenant_gets_429_with_retry_after_while_another_tenant_and_health_are_served()
    {
        await ServeTenants.WithDataAsync("dpr-hostile", async data =>
        {
            var mallory = ServeTenants.Key("mallory", data);
            var bob = ServeTenants.Key("bob", data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort(), new Dictionary<string, string> { ["DPR__REQUESTSPERSECONDPERTENANT"] = "5" });
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var flood = ServeTenants.Client(server.Url, mallory);
            using var other = ServeTenants.Client(server.Url, bob);

            var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => flood.GetAsync("/v1/jobs")));

            var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(refused);
            Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.OK), 1, 10);
            Assert.All(refused, r => Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1)));
            using var problem = JsonDocument.Parse(await refused[0].Content.ReadAsStringAsync());
            Assert.Equal("rate", problem.RootElement.GetProperty("field").GetString());
            Assert.Contains("Dpr:RequestsPerSecondPerTenant", problem.RootElement.GetProperty("detail").GetString());
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/jobs")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/healthz")).StatusCode);

            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        });
    }

    [Fact]
    public async Task Headers_larger_than_the_limit_are_refused_with_431()
    {
        await ServeTenants.WithDataAsync("dpr-hostile", async data =>
        {
            var bob = ServeTenants.Key("bob", data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort());
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var client = ServeTenants.Client(server.Url, bob);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs");
            request.Headers.Add("X-Padding", new string('x', 64 * 1024));

            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await client.SendAsync(request)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/jobs")).StatusCode);

            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        });
    }

    [Fact]
    public async Task Slow_bodies_and_slow_headers_are_cut_off_a_poisoned_deadline_is_a_400_and_other_clients_are_served_meanwhile()
    {
        await ServeTenants.WithDataAsync("dpr-hostile", async data =>
        {
            var mallory = ServeTenants.Key("mallory", data);
            var bob = ServeTenants.Key("bob", data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort());
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var client = ServeTenants.Client(server.Url, bob);

            // A body promised at 100 kB and sent a byte a second, and headers that never end, a byte a second:
            // Kestrel closes both connections (MinRequestBodyDataRate after its grace, RequestHeadersTimeout),
            // whatever the clients do, and serves the others meanwhile.
            var body = await SlowClient.OpenAsync(server.Url, $"POST /v1/jobs HTTP/1.1\r\nHost: {server.Url.Authority}\r\nAuthorization: Bearer {mallory}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", "{");
            var headers = await SlowClient.OpenAsync(server.Url, $"GET /v1/jobs HTTP/1.1\r\nHost: {server.Url.Authority}\r\nX-Slow: ", "a");
            await Eventually.TrueAsync(
                async () =>
                {
                    if (body.Closed && headers.Closed)
                    {
                        return true;
                    }
                    await Task.WhenAll(body.DripAsync(), headers.DripAsync());
                    await Task.Delay(1000);
                    Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/jobs")).StatusCode);
                    return false;
                },
                () => $"both slow clients cut off (body closed: {body.Closed}, headers closed: {headers.Closed})", TimeSpan.FromSeconds(60));
            body.Dispose();
            headers.Dispose();

            var poisoned = TestJobs.Make("conv3x3_int8", [1, 1, 4, 4], [1, 1, 3, 3], seed: 1).Job with { Deadline = DateTimeOffset.MinValue };
            var answer = await client.PostAsJsonAsync("/v1/jobs", poisoned, Dpr.Host.Api.ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            using var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            Assert.Equal("deadline", problem.RootElement.GetProperty("field").GetString());

            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        });
    }

    /// <summary>A client that sends a request's start, then one more byte each time it is asked, until the server closes the connection.</summary>
    private sealed class SlowClient : IDisposable
    {
        private readonly System.Net.Sockets.TcpClient _tcp = new();
        private byte[] _drip = [];

        public bool Closed { get; private set; }

        public static async Task<SlowClient> OpenAsync(Uri server, string start, string drip)
        {
            var client = new SlowClient { _drip = Encoding.ASCII.GetBytes(drip) };
            await client._tcp.ConnectAsync(server.Host, server.Port);
            await client._tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(start));
            return client;
        }

        public async Task DripAsync()
        {
            if (Closed)
            {
                return;
            }
            try
            {
                await _tcp.GetStream().WriteAsync(_drip);
                // Readable with nothing to read: the server closed its side.
                Closed = _tcp.Client.Poll(0, System.Net.Sockets.SelectMode.SelectRead) && _tcp.Available == 0;
            }
            catch (IOException)
            {
                Closed = true;
            }
        }

        public void Dispose() => _tcp.Dispose();
    }
}
