using System.Net;
using System.Net.Http.Json;
using Dpr.Host.Api;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Api;

/// <summary><c>/v1/chaos</c> in process: who may inject, what is refused and why, and what an injection leaves behind.</summary>
public class ChaosApiTests
{
    [Fact]
    public async Task Only_admins_may_inject_list_or_clear()
    {
        await using var server = await ApiServer.StartAsync();
        var alice = server.Client("alice");

        await ApiTests.AssertProblem(await alice.GetAsync("/v1/chaos"), HttpStatusCode.Forbidden, "authorization");
        await ApiTests.AssertProblem(await alice.DeleteAsync("/v1/chaos"), HttpStatusCode.Forbidden, "authorization");
        await ApiTests.AssertProblem(await alice.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto("conv", Correctable: false), ApiJson.Options), HttpStatusCode.Forbidden, "authorization");
        await ApiTests.AssertProblem(await alice.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail"), ApiJson.Options), HttpStatusCode.Forbidden, "authorization");
        await ApiTests.AssertProblem(await server.Client(null).GetAsync("/v1/chaos"), HttpStatusCode.Unauthorized, "authorization");

        var state = (await server.Client("ops").GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!;
        Assert.Empty(state.PortFaults);
        Assert.Equal("Observation", state.SemController);
    }

    [Theory]
    [InlineData("/v1/chaos/port-faults", """{"kind": "melt"}""", HttpStatusCode.BadRequest, "kind")]
    [InlineData("/v1/chaos/port-faults", """{}""", HttpStatusCode.BadRequest, "kind")]
    [InlineData("/v1/chaos/port-faults", """{"kind": "fail", "count": 0}""", HttpStatusCode.BadRequest, "count")]
    [InlineData("/v1/chaos/port-faults", """{"kind": "fail", "count": 101}""", HttpStatusCode.BadRequest, "count")]
    [InlineData("/v1/chaos/port-faults", """{"kind": "fail", "count": "many"}""", HttpStatusCode.BadRequest, "count")]
    [InlineData("/v1/chaos/port-faults", """{"kind": "fail", "hangSeconds": 1}""", HttpStatusCode.BadRequest, "hangSeconds")]
    [InlineData("/v1/chaos/port-faults", """{"kind": "hang", "hangSeconds": 0}""", HttpStatusCode.BadRequest, "hangSeconds")]
    [InlineData("/v1/chaos/port-faults", """{"kind": "hang", "hangSeconds": 301}""", HttpStatusCode.BadRequest, "hangSeconds")]
    [InlineData("/v1/chaos/journal-outage", """{"seconds": 0.5}""", HttpStatusCode.BadRequest, "seconds")]
    [InlineData("/v1/chaos/journal-outage", """{"seconds": 301}""", HttpStatusCode.BadRequest, "seconds")]
    [InlineData("/v1/chaos/upsets", """{"partition": "rp9", "correctable": true}""", HttpStatusCode.NotFound, "partition")]
    [InlineData("/v1/chaos/upsets", """{"partition": "conv", "static": true, "correctable": true}""", HttpStatusCode.BadRequest, "static")]
    [InlineData("/v1/chaos/upsets", """{"correctable": true}""", HttpStatusCode.BadRequest, "partition")]
    [InlineData("/v1/chaos/upsets", """{"partition": "conv"}""", HttpStatusCode.BadRequest, "correctable")]
    public async Task Bad_input_is_refused_naming_the_field_and_nothing_is_injected(string path, string body, HttpStatusCode status, string field)
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");

        await ApiTests.AssertProblem(await ops.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json")), status, field);

        var state = (await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!;
        Assert.Empty(state.PortFaults);
        Assert.Equal("Observation", state.SemController);
        Assert.Null(state.JournalOutageUntil);
        Assert.DoesNotContain("dpr_chaos_injections_total{", await server.Client(null).GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Port_faults_are_listed_in_order_counted_and_cleared()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");

        var first = await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail", 2), ApiJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var second = (await (await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("hang", 1, HangSeconds: 5), ApiJson.Options)).Content.ReadFromJsonAsync<ChaosPortFaultsDto>(ApiJson.Options))!;

        PendingPortFaultDto[] expected = [new("fail", null, null, null), new("fail", null, null, null), new("hang", 5, null, null)];
        Assert.Equal([new PendingPortFaultDto("hang", 5, null, null)], second.Added);
        Assert.Equal(expected, second.Pending);
        Assert.Equal(expected, (await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.PortFaults);
        var metrics = await server.Client(null).GetStringAsync("/metrics");
        Assert.Contains("dpr_chaos_injections_total{kind=\"port-fail\"} 2", metrics);
        Assert.Contains("dpr_chaos_injections_total{kind=\"port-hang\"} 1", metrics);

        var cleared = (await (await ops.DeleteAsync("/v1/chaos")).Content.ReadFromJsonAsync<ChaosClearedDto>(ApiJson.Options))!;
        Assert.Equal(expected, cleared.PortFaults);
        Assert.Empty((await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.PortFaults);
    }

    [Fact]
    public async Task A_corrupt_write_is_hit_by_the_next_swap_which_is_retried_and_completes()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");
        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("corrupt"), ApiJson.Options)).StatusCode);

        var load = await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int16"), ApiJson.Options);

        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        Assert.Empty((await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.PortFaults);
        var swaps = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps?partition=conv", ApiJson.Options))!.Swaps;
        Assert.Contains(swaps, s => s is { Module: "conv5x5_int16", Outcome: "failed", Attempt: 1 } && s.Failure!.StartsWith("CrcError: simulated corruption", StringComparison.Ordinal));
        Assert.Contains(swaps, s => s is { Module: "conv5x5_int16", Outcome: "completed", Attempt: 2 });
    }

    [Fact]
    public async Task An_uncorrectable_upset_in_the_static_design_stops_observation_and_further_upsets_are_refused()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");

        var response = await ops.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(Static: true, Correctable: false), ApiJson.Options);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var injected = (await response.Content.ReadFromJsonAsync<ChaosUpsetInjectedDto>(ApiJson.Options))!;
        Assert.Equal(("static", false), (injected.Target, injected.Correctable));
        Assert.Equal("Idle", (await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.SemController);
        // Nothing the service can do repairs the static design: no partition is reloaded, and the controller waits for a restart.
        await ApiTests.AssertProblem(await ops.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto("conv", Correctable: true), ApiJson.Options), HttpStatusCode.Conflict, "state");
        Assert.Contains("dpr_chaos_injections_total{kind=\"sem-uncorrectable\"} 1", await server.Client(null).GetStringAsync("/metrics"));
        Assert.Equal(0, (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.Single().Swaps);
    }

    [Fact]
    public async Task A_journal_outage_stalls_writes_a_submission_meanwhile_gets_503_and_is_on_record_once_it_is_over()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:AskTimeoutSeconds"] = "2" });
        var ops = server.Client("ops");
        var alice = server.Client("alice");
        var (during, duringExpected) = TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 21);

        var response = await ops.PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(Seconds: 6), ApiJson.Options);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("sqlite", (await response.Content.ReadFromJsonAsync<JournalOutageDto>(ApiJson.Options))!.Journal);
        Assert.NotNull((await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.JournalOutageUntil);
        await ApiTests.AssertProblem(await ops.PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(), ApiJson.Options), HttpStatusCode.Conflict, "state");
        // The acceptance cannot be stored: no answer within the ask timeout.
        await ApiTests.AssertProblem(await alice.PostAsJsonAsync("/v1/jobs", during, ApiJson.Options), HttpStatusCode.ServiceUnavailable, "journal");

        await Eventually.TrueAsync(
            async () => (await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.JournalOutageUntil is null,
            "the journal outage ended", TimeSpan.FromSeconds(60));

        // The stalled write went through once the lock was released (under the 10 s circuit breaker): the job the 503 answered is on record and runs.
        var late = await PollJobsAsync(alice, jobs => jobs.Count == 1);
        Assert.Equal("completed", (await TestJobs.WaitAsync(alice, late.Single().Id)).State);
        Assert.Equal(Convert.ToBase64String(duringExpected), (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{late.Single().Id}/result", ApiJson.Options))!.Data);

        // A second outage, ended early by a clear.
        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(Seconds: 120), ApiJson.Options)).StatusCode);
        Assert.True((await (await ops.DeleteAsync("/v1/chaos")).Content.ReadFromJsonAsync<ChaosClearedDto>(ApiJson.Options))!.JournalOutage);
        var after = await TestJobs.SubmitAsync(alice, TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 22).Job);
        Assert.Equal("completed", (await TestJobs.WaitAsync(alice, after.Id)).State);
        Assert.Contains("dpr_chaos_injections_total{kind=\"journal-outage\"} 2", await server.Client(null).GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_journal_outage_is_refused_with_the_postgres_journal_naming_the_journal()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Dpr:Journal"] = "postgres",
            ["Dpr:Connection"] = "Host=127.0.0.1;Port=1;Username=dpr;Password=none;Database=dpr;Timeout=1",
            ["Dpr:AskTimeoutSeconds"] = "1",
        });

        var problem = await ApiTests.AssertProblem(await server.Client("ops").PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(5), ApiJson.Options), HttpStatusCode.Conflict, "journal");

        Assert.Contains("SQLite journal only", problem.GetProperty("detail").GetString());
    }

    /// <summary>The caller's jobs once <paramref name="done"/> holds; a 503 (the intake still busy with the writes the outage held back) is asked again.</summary>
    private static async Task<IReadOnlyList<JobDto>> PollJobsAsync(HttpClient client, Func<IReadOnlyList<JobDto>, bool> done)
    {
        IReadOnlyList<JobDto> jobs = [];
        await Eventually.TrueAsync(
            async () =>
            {
                var response = await client.GetAsync("/v1/jobs");
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return done(jobs = (await response.Content.ReadFromJsonAsync<JobListDto>(ApiJson.Options))!.Jobs);
            },
            () => $"the jobs arrived; last count {jobs.Count}", TimeSpan.FromSeconds(60));
        return jobs;
    }

    [Fact]
    public async Task On_a_real_board_every_chaos_endpoint_is_refused_naming_the_port()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:Port"] = "fpga-manager" });
        var ops = server.Client("ops");

        HttpResponseMessage[] answers =
        [
            await ops.GetAsync("/v1/chaos"),
            await ops.DeleteAsync("/v1/chaos"),
            await ops.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(Static: true, Correctable: true), ApiJson.Options),
            await ops.PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(5), ApiJson.Options),
            // Refused for what it is, before the body is looked at.
            await ops.PostAsync("/v1/chaos/port-faults", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")),
        ];

        foreach (var answer in answers)
        {
            var problem = await ApiTests.AssertProblem(answer, HttpStatusCode.Conflict, "port");
            Assert.Contains("fpga-manager", problem.GetProperty("detail").GetString());
        }
    }
}
