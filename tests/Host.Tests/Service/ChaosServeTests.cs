using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Dpr.Host.Tests.Cli;
using Microsoft.Data.Sqlite;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// Fault injection into the real <c>dpr serve</c> process (simulated pynq-z2, partition <c>conv</c>):
/// what an operator sees when the port fails every attempt of a swap, how the service deals with an
/// uncorrectable upset, and <c>dpr chaos</c> against it. Each injection is in the service's log.
/// </summary>
public class ChaosServeTests
{
    private const string Partition = "conv";

    /// <summary>How long a state may take to arrive; a deadline for polling, not a timed assertion.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Port_faults_on_every_attempt_fail_an_operator_load_with_a_typed_error_and_after_a_reset_the_next_load_succeeds()
    {
        await RunAsync(async (process, _, ops) =>
        {
            // RegionOptions.MaxAttempts: a swap is written three times before the partition is faulted.
            var injected = await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail", 3), ApiJson.Options);
            Assert.Equal(HttpStatusCode.Accepted, injected.StatusCode);

            var failed = await ops.PostAsJsonAsync($"/v1/regions/{Partition}/load", new LoadDto("conv5x5_int16"), ApiJson.Options);

            var problem = await ApiTests.AssertProblem(failed, HttpStatusCode.Conflict, "state");
            Assert.Contains("3 attempts to load conv5x5_int16 failed", problem.GetProperty("detail").GetString());
            Assert.Contains("simulated failure", problem.GetProperty("detail").GetString());
            Assert.Equal("Faulted", (await RegionAsync(ops)).Status);
            Assert.Empty((await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.PortFaults);

            Assert.Equal(HttpStatusCode.OK, (await ops.PostAsync($"/v1/regions/{Partition}/reset", null)).StatusCode);
            var loaded = await ops.PostAsJsonAsync($"/v1/regions/{Partition}/load", new LoadDto("conv5x5_int16"), ApiJson.Options);
            Assert.True(loaded.StatusCode == HttpStatusCode.OK, $"{loaded.StatusCode}: {await loaded.Content.ReadAsStringAsync()}{Environment.NewLine}{process.Tail()}");
            Assert.Equal(new LoadedDto(Partition, "conv5x5_int16", Hit: false), await loaded.Content.ReadFromJsonAsync<LoadedDto>(ApiJson.Options));

            Assert.Contains("Chaos: ops injected fail into the next 3 port writes", process.Tail(300));
            Assert.Contains("dpr_chaos_injections_total{kind=\"port-fail\"} 3", await ops.GetStringAsync("/metrics"));
        });
    }

    [Fact]
    public async Task An_uncorrectable_upset_in_a_partition_reloads_its_module_and_the_controller_observes_again()
    {
        await RunAsync(async (process, alice, ops) =>
        {
            Assert.Equal(HttpStatusCode.OK, (await ops.PostAsJsonAsync($"/v1/regions/{Partition}/load", new LoadDto("conv3x3_int8"), ApiJson.Options)).StatusCode);
            var before = await RegionAsync(ops);

            var response = await ops.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(Partition, Correctable: false), ApiJson.Options);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var injected = (await response.Content.ReadFromJsonAsync<ChaosUpsetInjectedDto>(ApiJson.Options))!;
            Assert.Equal((Partition, false), (injected.Target, injected.Correctable));
            var region = await PollAsync(() => RegionAsync(ops), r => r.Status == "Loaded" && r.Swaps > before.Swaps, process);
            Assert.Equal("conv3x3_int8", region.Module);
            var swaps = (await ops.GetFromJsonAsync<SwapPageDto>($"/v1/swaps?partition={Partition}", ApiJson.Options))!.Swaps;
            Assert.Contains(swaps, s => s is { Reason: "upset", Outcome: "completed", Module: "conv3x3_int8" });
            // The SEM monitor resumes observation once the reload is on record: another upset can be injected.
            await PollAsync(async () => (await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!, s => s.SemController == "Observation", process);
            Assert.Contains("Chaos: ops injected an uncorrectable upset in conv", process.Tail(300));

            // A job still runs on the partition, with the reference result.
            var (job, expected) = TestJobs.Make("conv3x3_int8", [1, 2, 10, 10], [2, 2, 3, 3], seed: 5);
            var done = await TestJobs.WaitAsync(alice, (await TestJobs.SubmitAsync(alice, job)).Id, Deadline);
            Assert.Equal(("completed", Partition), (done.State, done.Partition));
            Assert.Equal(Convert.ToBase64String(expected), (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{done.Id}/result", ApiJson.Options))!.Data);
        });
    }

    [Fact]
    public async Task Dpr_chaos_injects_lists_and_clears_through_the_real_service_and_a_tenant_is_forbidden()
    {
        await RunAsync(async (process, alice, ops) =>
        {
            var key = ((System.Net.Http.Headers.AuthenticationHeaderValue)ops.DefaultRequestHeaders.Authorization!).Parameter!;
            var aliceKey = alice.DefaultRequestHeaders.Authorization!.Parameter!;
            (int Exit, string Out, string Err) Dpr(string apiKey, params string[] args) => CliRunner.Run([.. args, "--url", process.Url.ToString(), "--key", apiKey]);

            var (hang, hangOut, hangErr) = Dpr(key, "chaos", "port", "--kind", "hang", "--count", "2", "--hang-seconds", "1.5", "--json");
            Assert.True(hang == 0, hangErr);
            Assert.Equal(2, JsonSerializer.Deserialize<ChaosPortFaultsDto>(hangOut, ApiJson.Options)!.Pending.Count(f => f is { Kind: "hang", HangSeconds: 1.5 }));
            Assert.Equal(0, Dpr(key, "chaos", "port", "--kind", "corrupt").Exit);

            var (listed, list, _) = Dpr(key, "chaos", "list", "--json");
            Assert.Equal(0, listed);
            Assert.Equal(["hang", "hang", "corrupt"], JsonSerializer.Deserialize<ChaosStateDto>(list, ApiJson.Options)!.PortFaults.Select(f => f.Kind));
            Assert.Contains("corrupt", Dpr(key, "chaos", "list").Out);

            var (outage, outageOut, outageErr) = Dpr(key, "chaos", "journal", "--seconds", "120", "--json");
            Assert.True(outage == 0, outageErr);
            Assert.Equal("sqlite", JsonSerializer.Deserialize<JournalOutageDto>(outageOut, ApiJson.Options)!.Journal);
            Assert.Contains("journal outage: until", Dpr(key, "chaos", "list").Out);

            var (cleared, _, clearErr) = Dpr(key, "chaos", "clear");
            Assert.True(cleared == 0, clearErr);
            var state = (await ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!;
            Assert.Empty(state.PortFaults);
            Assert.Null(state.JournalOutageUntil);

            var (upset, upsetOut, upsetErr) = Dpr(key, "chaos", "upset", "--partition", Partition, "--json");
            Assert.True(upset == 0, upsetErr);
            Assert.True(JsonSerializer.Deserialize<ChaosUpsetInjectedDto>(upsetOut, ApiJson.Options)!.Correctable);

            // The board by name, as against a fleet node: an unknown one is refused before anything is struck.
            var (elsewhere, _, elsewhereErr) = Dpr(key, "chaos", "upset", "--partition", Partition, "--board", "pynq-z2-9");
            Assert.Equal(1, elsewhere);
            Assert.StartsWith("dpr chaos upset: 404", elsewhereErr);
            Assert.Contains("[field board]", elsewhereErr);

            var (bad, _, badErr) = Dpr(key, "chaos", "port", "--kind", "melt");
            Assert.Equal(1, bad);
            Assert.Contains("[field kind]", badErr);
            var (forbidden, _, forbiddenErr) = Dpr(aliceKey, "chaos", "list");
            Assert.Equal(1, forbidden);
            Assert.StartsWith("dpr chaos list: 403", forbiddenErr);
            await ApiTests.AssertProblem(await alice.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail"), ApiJson.Options), HttpStatusCode.Forbidden, "authorization");

            var metrics = await ops.GetStringAsync("/metrics");
            Assert.Contains("dpr_chaos_injections_total{kind=\"port-hang\"} 2", metrics);
            Assert.Contains("dpr_chaos_injections_total{kind=\"sem-correctable\"} 1", metrics);
            Assert.Contains("Chaos: ops injected a journal outage of 120 s", process.Tail(300));
            Assert.Contains("Chaos: ops cleared the injected faults (3 port faults withdrawn, the journal outage ended)", process.Tail(300));
        });
    }

    /// <summary>A fresh data directory with a tenant and an admin, the service on it, the scenario, then a clean stop on SIGTERM.</summary>
    private static async Task RunAsync(Func<ServeProcess, HttpClient, HttpClient, Task> scenario)
    {
        await ServeTenants.WithDataAsync("dpr-chaos", async data =>
        {
            try
            {
                var alice = ServeTenants.Key("alice", data);
                var ops = ServeTenants.Key("ops", data, "--admin");
                using var process = ServeProcess.Start(data, ServeProcess.FreePort());
                await process.WaitReadyAsync(Deadline);
                using var aliceClient = ServeTenants.Client(process.Url, alice);
                using var opsClient = ServeTenants.Client(process.Url, ops);

                await scenario(process, aliceClient, opsClient);

                process.Terminate();
                Assert.Equal(0, process.WaitForExit(TimeSpan.FromSeconds(30)));
            }
            finally
            {
                SqliteConnection.ClearAllPools();
            }
        });
    }

    private static async Task<RegionDto> RegionAsync(HttpClient client) =>
        Assert.Single((await client.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions, r => r.Partition == Partition);

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, ServeProcess process)
    {
        var value = default(T);
        await Eventually.TrueAsync(async () => done(value = await read()), () => $"a change, still {value}:{Environment.NewLine}{process.Tail(60)}", Deadline);
        return value!;
    }
}
