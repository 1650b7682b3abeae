using System.Net.Http.Json;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Xunit.Abstractions;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// Issue 26 on the real <c>dpr serve</c>: mallory queues 30 heavy <c>conv5x5_int8</c> jobs (input
/// 1x32x128x128, weights 32x32x5x5: 419 M multiply-accumulates, a few hundred ms each), then bob submits
/// 3 jobs of 1x1x8x8, on mallory's module or on another one. Before the fix bob's jobs ended after all 30
/// of mallory's; now they start within the aging bound, the heavy job running when they fall due and two swaps.
/// </summary>
public class FairnessServeTests(ITestOutputHelper output)
{
    private const int Backlog = 30;

    [Theory]
    [InlineData("conv5x5_int8")]
    [InlineData("conv3x3_int8")]
    public async Task A_tenants_backlog_of_heavy_jobs_does_not_hold_another_tenants_tiny_jobs(string bobsModule)
    {
        await ServeTenants.WithDataAsync("dpr-fair", async data =>
        {
            var mallory = ServeTenants.Key("mallory", data);
            var bob = ServeTenants.Key("bob", data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort());
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var malloryClient = ServeTenants.Client(server.Url, mallory);
            using var bobClient = ServeTenants.Client(server.Url, bob);

            // Submitted four at a time, so the backlog is in before more than a few of its jobs have run.
            var heavy = Heavy();
            var backlog = new List<Guid>();
            foreach (var chunk in Enumerable.Range(0, Backlog).Chunk(4))
            {
                backlog.AddRange((await Task.WhenAll(chunk.Select(_ => TestJobs.SubmitAsync(malloryClient, heavy)))).Select(s => s.Id));
            }
            var k = bobsModule.StartsWith("conv5", StringComparison.Ordinal) ? 5 : 3;
            var bobs = new List<(Guid Id, byte[] Output)>();
            for (var i = 0; i < 3; i++)
            {
                var (job, expected) = TestJobs.Make(bobsModule, [1, 1, 8, 8], [1, 1, k, k], seed: i);
                bobs.Add(((await TestJobs.SubmitAsync(bobClient, job)).Id, expected));
            }

            var bobsJobs = new List<JobDto>();
            foreach (var (id, expected) in bobs)
            {
                var done = await TestJobs.WaitAsync(bobClient, id, TimeSpan.FromMinutes(2));
                Assert.Equal("completed", done.State);
                Assert.Equal(Convert.ToBase64String(expected), (await bobClient.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
                bobsJobs.Add(done);
            }
            var mallorysJobs = new List<JobDto>();
            foreach (var id in backlog)
            {
                mallorysJobs.Add((await malloryClient.GetFromJsonAsync<JobDto>($"/v1/jobs/{id}", ApiJson.Options))!);
            }
            // The rest of the backlog is not needed: cancelled, so the stop waits for one job at most.
            foreach (var job in mallorysJobs.Where(j => j.State == "queued"))
            {
                await malloryClient.DeleteAsync($"/v1/jobs/{job.Id}");
            }

            var bobFinished = bobsJobs.Max(j => j.FinishedAt!.Value);
            var malloryBefore = mallorysJobs.Count(j => j.FinishedAt is { } f && f <= bobFinished);
            var longest = mallorysJobs.Where(j => j is { StartedAt: not null, FinishedAt: not null }).Select(j => j.FinishedAt!.Value - j.StartedAt!.Value).DefaultIfEmpty().Max();
            var options = new SchedulerOptions();
            var bound = options.AgingBound + longest + 2 * options.SwapCost;
            var worstWait = TimeSpan.FromMilliseconds(bobsJobs.Max(j => j.WaitMs!.Value));
            output.WriteLine($"bob on {bobsModule}: waits {string.Join(", ", bobsJobs.Select(j => $"{j.WaitMs:0} ms"))}; mallory's jobs done by then {malloryBefore} of {Backlog}, longest {longest.TotalMilliseconds:0} ms; bound {bound.TotalMilliseconds:0} ms");

            Assert.True(malloryBefore < 10, $"bob's jobs finished after {malloryBefore} of mallory's {Backlog}");
            // The bound, with a second of slack for a busy machine (the journal writes that stamp the times).
            Assert.True(worstWait <= bound + TimeSpan.FromSeconds(1), $"bob waited {worstWait.TotalMilliseconds:0} ms, bound {bound.TotalMilliseconds:0} ms");

            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(60)));
        });
    }

    /// <summary>The issue's heavy job, random values; its reference is not computed (seconds of CPU, and nobody reads its result).</summary>
    internal static SubmitJobDto Heavy()
    {
        var random = new Random(26);
        var input = new byte[1 * 32 * 128 * 128];
        var weights = new byte[32 * 32 * 5 * 5];
        random.NextBytes(input);
        random.NextBytes(weights);
        return new SubmitJobDto("conv5x5_int8", new TensorDto([1, 32, 128, 128], Convert.ToBase64String(input)), new TensorDto([32, 32, 5, 5], Convert.ToBase64String(weights)), Shift: 12);
    }
}
