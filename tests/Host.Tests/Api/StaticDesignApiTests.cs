using System.Net;
using System.Net.Http.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Service;
using Dpr.TestKit;

namespace Dpr.Host.Tests.Api;

/// <summary>The static design: checked at start (a foreign one refuses to start), loaded at start or by <c>POST /v1/board/static/load</c>.</summary>
public sealed class StaticDesignApiTests
{
    private static async Task<string> RunJobAsync(HttpClient client, string module, int seed)
    {
        var k = Fabric.Convolution.ConvModule.Resolve(module).KernelSize;
        var (job, expected) = TestJobs.Make(module, [1, 2, 9, 8], [3, 2, k, k], seed);
        var submitted = await TestJobs.SubmitAsync(client, job);
        var done = await TestJobs.WaitAsync(client, submitted.Id);
        Assert.Equal("completed", done.State);
        var result = (await client.GetFromJsonAsync<ResultDto>($"/v1/jobs/{submitted.Id}/result", ApiJson.Options))!;
        Assert.Equal(Convert.ToBase64String(expected), result.Data);
        return result.Data;
    }

    [Fact]
    public async Task Loading_the_static_image_empties_every_partition_on_record_and_the_next_job_swaps_its_module_in_again()
    {
        await using var server = await ApiServer.StartAsync();
        var alice = server.Client("alice");
        var ops = server.Client("ops");
        await RunJobAsync(alice, "conv3x3_int8", seed: 1);
        var before = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
        Assert.Equal(("Loaded", "conv3x3_int8"), (before.Regions.Single().Status, before.Regions.Single().Module));

        Assert.Equal(HttpStatusCode.Forbidden, (await alice.PostAsync("/v1/board/static/load", null)).StatusCode);
        var response = await ops.PostAsync("/v1/board/static/load", null);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var loaded = (await response.Content.ReadFromJsonAsync<StaticLoadDto>(ApiJson.Options))!;
        Assert.Equal(("pynq-z2_static", "verified"), (loaded.Design, loaded.Check));
        Assert.True(loaded.Bytes > 1_000_000, $"a full image of the xc7z020 is about 4 MB, found {loaded.Bytes} bytes");
        Assert.All(loaded.Regions, r => Assert.Equal(("Empty", (string?)null), (r.Status, r.Module)));
        var regions = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
        Assert.All(regions.Regions, r => Assert.Equal("Empty", r.Status));
        var history = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps", ApiJson.Options))!;
        var invalidated = history.Swaps[0];
        Assert.Equal(("conv", "invalidated"), (invalidated.Partition, invalidated.Outcome));
        Assert.Contains("'pynq-z2_static' loaded by ops", invalidated.Reason);

        await RunJobAsync(alice, "conv3x3_int8", seed: 2);

        var after = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps", ApiJson.Options))!;
        Assert.Equal(("completed", "conv3x3_int8"), (after.Swaps[0].Outcome, after.Swaps[0].Module));
        Assert.Equal(invalidated.Sequence, after.Swaps[1].Sequence);
        var audit = (await ops.GetFromJsonAsync<AuditPageDto>("/v1/audit", ApiJson.Options))!;
        var entry = audit.Entries.Single(e => e.Action == "board.static.load" && e.Outcome == "ok");
        Assert.Equal(("ops", "design pynq-z2_static", 200), (entry.By, entry.Detail, entry.Status));
    }

    [Fact]
    public async Task A_board_degraded_by_an_upset_in_the_static_design_is_ready_again_after_the_static_load()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");
        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(Static: true, Correctable: false), ApiJson.Options)).StatusCode);
        await Eventually.TrueAsync(async () => (await ops.GetFromJsonAsync<BoardHealthDto>("/v1/board", ApiJson.Options))!.Degraded, "the board degraded", TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client(null).GetAsync("/readyz")).StatusCode);

        var response = await ops.PostAsync("/v1/board/static/load", null);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        await Eventually.TrueAsync(async () => !(await ops.GetFromJsonAsync<BoardHealthDto>("/v1/board", ApiJson.Options))!.Degraded, "the board no longer degraded", TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, (await server.Client(null).GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task A_static_load_that_fails_part_way_faults_every_partition_until_the_next_static_load()
    {
        await using var server = await ApiServer.StartAsync();
        var alice = server.Client("alice");
        var ops = server.Client("ops");
        await RunJobAsync(alice, "conv3x3_int8", seed: 4);
        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("partial"), ApiJson.Options)).StatusCode);

        var failed = await ops.PostAsync("/v1/board/static/load", null);

        Assert.Equal(HttpStatusCode.Conflict, failed.StatusCode);
        Assert.Contains("every partition is faulted", await failed.Content.ReadAsStringAsync());
        var regions = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
        Assert.All(regions.Regions, r => Assert.Equal("Faulted", r.Status));
        Assert.Contains("failed part-way", regions.Regions.Single().FaultReason);

        Assert.Equal(HttpStatusCode.OK, (await ops.PostAsync("/v1/board/static/load", null)).StatusCode);
        regions = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
        Assert.All(regions.Regions, r => Assert.Equal(("Empty", (string?)null), (r.Status, r.FaultReason)));
        await RunJobAsync(alice, "conv3x3_int8", seed: 5);
        var audit = (await ops.GetFromJsonAsync<AuditPageDto>("/v1/audit", ApiJson.Options))!;
        Assert.Equal([200, 409], audit.Entries.Where(e => e.Action == "board.static.load").Select(e => e.Status ?? 0));
    }

    [Fact]
    public async Task A_static_load_refused_before_anything_was_written_leaves_the_partitions_serving_what_they_held()
    {
        await using var server = await ApiServer.StartAsync();
        var alice = server.Client("alice");
        var ops = server.Client("ops");
        await RunJobAsync(alice, "conv3x3_int8", seed: 6);
        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail"), ApiJson.Options)).StatusCode);

        var failed = await ops.PostAsync("/v1/board/static/load", null);

        Assert.Equal(HttpStatusCode.Conflict, failed.StatusCode);
        Assert.Contains("nothing was written", await failed.Content.ReadAsStringAsync());
        var region = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.Single();
        Assert.Equal(("Loaded", "conv3x3_int8", 1L), (region.Status, region.Module, region.Swaps));
        await RunJobAsync(alice, "conv3x3_int8", seed: 7);
        region = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.Single();
        Assert.Equal(1L, region.Swaps);
    }

    [Theory]
    [InlineData("fpga-manager", "Dpr:LoadStatic: board 'pynq-z2' names no static image")]
    [InlineData("simulated-hwicap", "Dpr:LoadStatic: the hwicap port writes partials only")]
    public void LoadStatic_is_refused_where_it_cannot_load_naming_the_setting(string port, string problem)
    {
        var problems = new ServiceOptions { Port = port, LoadStatic = true }.Validate();

        Assert.StartsWith(problem, Assert.Single(problems));
    }

    [Fact]
    public void LoadStatic_is_off_by_default_and_the_simulated_board_needs_no_static_file()
    {
        Assert.False(new ServiceOptions().LoadStatic);
        Assert.Empty(new ServiceOptions { LoadStatic = true }.Validate());
    }

    [Fact]
    public void A_foreign_design_in_the_pl_refuses_the_start_naming_the_check()
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-static-{Guid.NewGuid():N}");
        try
        {
            var e = Assert.Throws<ServiceOptionsException>(() => DprService.Build(new Dictionary<string, string?>
            {
                ["Dpr:Data"] = data,
                ["Dpr:SimulatedStaticDesign"] = "base_overlay",
                ["Serilog:MinimumLevel:Default"] = "Warning",
            }));

            var problem = Assert.Single(e.Problems);
            Assert.StartsWith("Dpr:LoadStatic: static design check: the PL holds the design 'base_overlay'", problem);
            Assert.Contains("'pynq-z2_static'", problem);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("simulated")]
    [InlineData("simulated-overlay")]
    public async Task With_LoadStatic_a_foreign_design_is_replaced_at_start_and_every_partition_is_recorded_empty(string port)
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:Port"] = port, ["Dpr:SimulatedStaticDesign"] = "base_overlay", ["Dpr:LoadStatic"] = "true" });
        var ops = server.Client("ops");

        var node = (DprNode)server.Services.GetService(typeof(DprNode))!;
        Assert.Equal(("pynq-z2_static", Fabric.Boards.StaticDesignStatus.Verified), (node.Simulated!.Device.StaticDesign, node.StaticDesign.Status));
        SwapPageDto history = null!;
        await Eventually.TrueAsync(async () => (history = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps", ApiJson.Options))!).Swaps.Count == 1, "the invalidation on the swap history", TimeSpan.FromSeconds(20));
        Assert.Equal("invalidated", history.Swaps[0].Outcome);
        Assert.Contains("loaded at start (Dpr:LoadStatic)", history.Swaps[0].Reason);
        await RunJobAsync(server.Client("alice"), "conv5x5_int8", seed: 3);
    }

    [Fact]
    public async Task Dpr_serve_load_static_replaces_a_foreign_design_and_board_health_says_verified()
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-static-serve-{Guid.NewGuid():N}");
        try
        {
            var key = ServeTenants.Key("alice", data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort(), new Dictionary<string, string> { ["DPR__SIMULATEDSTATICDESIGN"] = "base_overlay" }, ["--load-static"]);
            await server.WaitReadyAsync(TimeSpan.FromSeconds(90));
            using var alice = ServeTenants.Client(server.Url, key);

            var board = (await alice.GetFromJsonAsync<BoardHealthDto>("/v1/board", ApiJson.Options))!;
            Assert.Equal(("verified", "pynq-z2_static"), (board.StaticDesign!.Status, board.StaticDesign.Design));
            var regions = (await alice.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
            Assert.Equal("Empty", Assert.Single(regions.Regions).Status);
            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
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
