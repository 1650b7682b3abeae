using System.Net;
using System.Net.Http.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// The real <c>dpr serve</c> process: two tenants' jobs checked against the reference, isolation,
/// SIGTERM with jobs still queued, a restart on the same data, and everything found again.
/// </summary>
public class ServeProcessTests
{
    [Fact]
    public async Task Serve_stops_on_sigterm_and_a_restart_finds_every_job_and_result()
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-serve-{Guid.NewGuid():N}");
        try
        {
            var alice = ServeTenants.Key("alice", data);
            var bob = ServeTenants.Key("bob", data);
            var port = ServeProcess.FreePort();
            var expected = new Dictionary<Guid, (string Tenant, byte[] Output)>();

            using (var first = ServeProcess.Start(data, port))
            {
                await first.WaitReadyAsync(TimeSpan.FromSeconds(60));
                using var aliceClient = ServeTenants.Client(first.Url, alice);
                using var bobClient = ServeTenants.Client(first.Url, bob);
                for (var i = 0; i < 6; i++)
                {
                    var (tenant, client) = i % 2 == 0 ? ("alice", aliceClient) : ("bob", bobClient);
                    var (job, output) = TestJobs.Make(i % 3 == 0 ? "conv3x3_int8" : "conv5x5_int16", [1, 2, 10, 10], [2, 2, i % 3 == 0 ? 3 : 5, i % 3 == 0 ? 3 : 5], seed: i);
                    expected[(await TestJobs.SubmitAsync(client, job)).Id] = (tenant, output);
                }
                foreach (var (id, (tenant, output)) in expected)
                {
                    var client = tenant == "alice" ? aliceClient : bobClient;
                    Assert.Equal("completed", (await TestJobs.WaitAsync(client, id)).State);
                    Assert.Equal(Convert.ToBase64String(output), (await client.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
                    Assert.Equal(HttpStatusCode.NotFound, (await (tenant == "alice" ? bobClient : aliceClient).GetAsync($"/v1/jobs/{id}")).StatusCode);
                }
                // A backlog still queued when the service is told to stop.
                for (var i = 0; i < 12; i++)
                {
                    var (job, output) = TestJobs.Make("conv5x5_int32", [1, 16, 32, 32], [16, 16, 5, 5], seed: 100 + i);
                    expected[(await TestJobs.SubmitAsync(aliceClient, job)).Id] = ("alice", output);
                }

                first.Terminate();
                Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(60)));
                Assert.Contains("Application is shutting down", first.Tail(200));
            }

            using var second = ServeProcess.Start(data, port);
            await second.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using (var aliceClient = ServeTenants.Client(second.Url, alice))
            using (var bobClient = ServeTenants.Client(second.Url, bob))
            {
                foreach (var (id, (tenant, output)) in expected)
                {
                    var client = tenant == "alice" ? aliceClient : bobClient;
                    Assert.Equal("completed", (await TestJobs.WaitAsync(client, id, TimeSpan.FromMinutes(2))).State);
                    Assert.Equal(Convert.ToBase64String(output), (await client.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
                }
                var bobs = (await bobClient.GetFromJsonAsync<JobListDto>("/v1/jobs?limit=1000", ApiJson.Options))!;
                Assert.Equal(expected.Where(e => e.Value.Tenant == "bob").Select(e => e.Key).Order(), bobs.Jobs.Select(j => j.Id).Order());
                var swaps = (await aliceClient.GetFromJsonAsync<SwapPageDto>("/v1/swaps?limit=1000", ApiJson.Options))!;
                Assert.Contains(swaps.Swaps, s => s.Outcome == "completed");
            }
            second.Terminate();
            Assert.Equal(0, second.WaitForExit(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
