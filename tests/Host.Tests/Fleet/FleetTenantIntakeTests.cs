using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Actors.Journal;
using Dpr.Actors.Tests.Journal;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Dpr.Host.Tests.Service;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// The fleet's job intake sharded per tenant, on two in-process nodes sharing three boards on PostgreSQL: submissions
/// of one tenant through both nodes at the same moment are decided one after the other by the tenant's intake, so
/// the same idempotency key yields one job and the tenant's quota of open jobs holds over the fleet at every moment.
/// </summary>
[Collection(nameof(FleetNodes))]
public sealed class FleetTenantIntakeTests
{
    private const int Quota = 3;

    [PostgresFact]
    public async Task The_same_key_through_two_nodes_at_once_makes_one_job_and_the_tenants_quota_holds_over_both_nodes()
    {
        using var postgres = TemporaryPostgresCluster.Start();
        await JournalSchema.EnsureCreatedAsync(postgres.Journal, CancellationToken.None);
        var (portA, portB) = (ServeProcess.FreePort(), ServeProcess.FreePort());
        Dictionary<string, string?> Settings(int port)
        {
            var settings = FleetServeTests.Node(postgres, port, portA, boards: 3, headroomMs: 0);
            settings["Dpr:MaxOpenJobsPerTenant"] = Quota.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return settings;
        }
        await using var a = await ApiServer.StartAsync(Settings(portA));
        await using var b = await ApiServer.StartAsync(Settings(portB));
        using var alice = a.Client("alice");
        using var aliceOnB = b.Client("alice");
        await Eventually.TrueAsync(async () => (await FleetServeTests.BoardsAsync(aliceOnB)).Boards is { Count: 3 } all && all.Select(x => x.Node).Distinct().Count() == 2,
            "3 boards on 2 nodes", TimeSpan.FromMinutes(3));

        // Each module on a board of its own, so placement sends the two halves of each pair below to different boards.
        var small = new[] { TestJobs.Make("conv3x3_int8", [1, 2, 12, 12], [2, 2, 3, 3], seed: 1).Job, TestJobs.Make("conv5x5_int16", [1, 2, 12, 12], [2, 2, 5, 5], seed: 2).Job };
        foreach (var job in small)
        {
            Assert.Equal("completed", (await TestJobs.WaitAsync(alice, (await TestJobs.SubmitAsync(alice, job)).Id, TimeSpan.FromMinutes(2))).State);
        }
        Assert.Equal(2, (await FleetServeTests.BoardsAsync(alice)).Boards.Count(x => x.Loaded.Count > 0));

        // The same key through both nodes at once, each naming the module another board holds: before the intake was
        // sharded per tenant, each node found the key nowhere and placed its own, and the key had two jobs.
        for (var round = 0; round < 3; round++)
        {
            var key = $"same-{round}";
            var both = await Task.WhenAll(
                TestJobs.SubmitAsync(alice, small[0] with { IdempotencyKey = key }),
                TestJobs.SubmitAsync(aliceOnB, small[1] with { IdempotencyKey = key }));
            Assert.Equal(both[0].Id, both[1].Id);
            Assert.Single(both, s => !s.Duplicate);
            await TestJobs.WaitAsync(alice, both[0].Id, TimeSpan.FromMinutes(2));
        }
        Assert.Equal(5, (await alice.GetFromJsonAsync<JobListDto>("/v1/jobs", ApiJson.Options))!.Jobs.Count);

        // Ten heavy jobs (a few hundred ms each), five through each node at once: never more than the quota open.
        var heavy = FairnessServeTests.Heavy();
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? alice : aliceOnB).PostAsJsonAsync("/v1/jobs", heavy, ApiJson.Options)));
        var accepted = new List<Guid>();
        foreach (var answer in answers)
        {
            var body = await answer.Content.ReadAsStringAsync();
            if (answer.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(JsonSerializer.Deserialize<SubmittedDto>(body, ApiJson.Options)!.Id);
                continue;
            }
            Assert.True(answer.StatusCode == HttpStatusCode.TooManyRequests, body);
            Assert.Contains($"tenant 'alice' has {Quota} open jobs on the fleet, its quota is {Quota}", body, StringComparison.Ordinal);
        }
        Assert.InRange(accepted.Count, Quota, 9);
        var jobs = new List<JobDto>();
        foreach (var id in accepted)
        {
            jobs.Add(await TestJobs.WaitAsync(alice, id, TimeSpan.FromMinutes(3)));
        }
        // Each job was accepted while fewer than the quota of the tenant's others were open (accepted, not yet finished).
        var openAtAcceptance = jobs.Select(j => jobs.Count(k => k.AcceptedAt <= j.AcceptedAt && k.FinishedAt > j.AcceptedAt)).ToList();
        Assert.True(openAtAcceptance.Max() <= Quota, $"open jobs at each acceptance: {string.Join(", ", openAtAcceptance)}");
    }
}
