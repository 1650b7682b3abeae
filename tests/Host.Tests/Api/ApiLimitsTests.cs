using System.Net;
using System.Net.Http.Json;
using Dpr.Fabric.Boards;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Cli;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Api;

/// <summary>Quotas, a dead journal, cancellation and settings: each on a server of its own.</summary>
public class ApiLimitsTests
{
    [Fact]
    public async Task Past_the_tenants_bound_of_open_jobs_submissions_are_429_with_retry_after()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:MaxOpenJobsPerTenant"] = "1" });
        var client = server.Client("alice");
        // A slow job (the simulated board takes its modelled time), so the first stays open while the others arrive.
        var job = TestJobs.Make("conv5x5_int32", [1, 16, 32, 32], [16, 16, 5, 5], seed: 11).Job;

        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => client.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options)));

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        var refused = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        await ApiTests.AssertProblem(refused, HttpStatusCode.TooManyRequests, "quota");
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        // Another tenant is not held to alice's bound.
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client("bob").PostAsJsonAsync("/v1/jobs", job, ApiJson.Options)).StatusCode);
    }

    [Fact]
    public async Task Past_the_tenants_board_time_submissions_are_429_naming_it_and_a_first_job_is_always_admitted()
    {
        // A millisecond of board time: less than one of these jobs (256 passes of 10 µs in the model alone).
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:MaxOpenWorkSecondsPerTenant"] = "0.001" });
        var client = server.Client("alice");
        var job = TestJobs.Make("conv5x5_int32", [1, 16, 32, 32], [16, 16, 5, 5], seed: 11).Job;

        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => client.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options)));

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        var refused = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var detail = (await ApiTests.AssertProblem(refused, HttpStatusCode.TooManyRequests, "quota")).GetProperty("detail").GetString();
        Assert.Contains("of board time in 1 open jobs", detail);
        Assert.Contains("its quota is 0.001 s", detail);
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client("bob").PostAsJsonAsync("/v1/jobs", job, ApiJson.Options)).StatusCode);
    }

    [Fact]
    public async Task With_the_journal_down_submissions_are_503_and_the_service_is_not_ready()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Dpr:Journal"] = "postgres",
            ["Dpr:Connection"] = "Host=127.0.0.1;Port=1;Username=dpr;Password=none;Database=dpr;Timeout=1",
            ["Dpr:AskTimeoutSeconds"] = "1",
        });
        var job = TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 12).Job;

        var response = await server.Client("alice").PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);

        await ApiTests.AssertProblem(response, HttpStatusCode.ServiceUnavailable, "journal");
        Assert.Contains("the journal is unavailable: Failed to connect to 127.0.0.1:1", await response.Content.ReadAsStringAsync());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client(null).GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client(null).GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_queued_job_can_be_cancelled_and_then_has_no_result()
    {
        await using var server = await ApiServer.StartAsync();
        var client = server.Client("alice");
        // Every attempt of the first swap hangs until its timeout (10 s each, three attempts, then the partition is
        // faulted and the jobs run on the CPU), so the jobs are still queued when cancelled, however slow the machine.
        var faults = ((DprNode)server.Services.GetService(typeof(DprNode))!).PortFaults!;
        faults.OnNextWrite(Fabric.Ports.SimulatedFault.Hang).OnNextWrite(Fabric.Ports.SimulatedFault.Hang).OnNextWrite(Fabric.Ports.SimulatedFault.Hang);
        var ids = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add((await TestJobs.SubmitAsync(client, TestJobs.Make(i % 2 == 0 ? "conv5x5_int32" : "conv3x3_int32", [1, 16, 32, 32], [16, 16, i % 2 == 0 ? 5 : 3, i % 2 == 0 ? 5 : 3], seed: i).Job)).Id);
        }

        Assert.Contains("dpr_queue_depth{module=", await server.Client(null).GetStringAsync("/metrics"));

        var answers = new Dictionary<Guid, HttpStatusCode>();
        foreach (var id in Enumerable.Reverse(ids).Take(4))
        {
            answers[id] = (await client.DeleteAsync($"/v1/jobs/{id}")).StatusCode;
        }

        var cancelled = answers.Where(a => a.Value == HttpStatusCode.OK).Select(a => a.Key).ToList();
        Assert.Equal(4, cancelled.Count);
        foreach (var id in cancelled)
        {
            Assert.Equal("cancelled", (await client.GetFromJsonAsync<JobDto>($"/v1/jobs/{id}", ApiJson.Options))!.State);
            await ApiTests.AssertProblem(await client.GetAsync($"/v1/jobs/{id}/result"), HttpStatusCode.Conflict, "state");
        }
        var listed = (await client.GetFromJsonAsync<JobListDto>("/v1/jobs?state=cancelled", ApiJson.Options))!;
        Assert.Equal(cancelled.Order(), listed.Jobs.Select(j => j.Id).Order());
        foreach (var id in ids.Except(cancelled))
        {
            Assert.Equal("completed", (await TestJobs.WaitAsync(client, id, TimeSpan.FromMinutes(2))).State);
        }
    }

    [Fact]
    public async Task An_upset_reported_by_the_sem_controller_reloads_the_module_and_is_counted()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");
        Assert.Equal(HttpStatusCode.OK, (await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int16"))).StatusCode);
        var node = (DprNode)server.Services.GetService(typeof(DprNode))!;
        var frame = node.Board.FramesOf(node.Board.Partitions.Single(p => p.Name == "conv")).Skip(3).First();

        node.Simulated!.InjectUpset(frame, 40, 7, correctable: false);

        SwapPageDto swaps = null!;
        await Eventually.TrueAsync(
            async () => (swaps = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps", ApiJson.Options))!).Swaps.Any(s => s.Reason == "upset"),
            "the upset's repair on the swap history", TimeSpan.FromSeconds(30));
        Assert.Contains(swaps.Swaps, s => s is { Reason: "upset", Outcome: "completed", Module: "conv3x3_int16" });
        Assert.Contains("dpr_upsets_total{partition=\"conv\",corrected=\"false\"} 1", await server.Client(null).GetStringAsync("/metrics"));
        Assert.Equal("Loaded", (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.Single().Status);
    }

    [Theory]
    [InlineData("Dpr:Journal", "mysql", "Dpr:Journal: expected sqlite or postgres")]
    [InlineData("Dpr:Port", "jtag", "Dpr:Port: expected simulated, simulated-overlay, simulated-hwicap, fpga-manager, overlay, hwicap, found 'jtag'")]
    [InlineData("Dpr:Board", "zedboard", "Dpr:Board:")]
    [InlineData("Dpr:MaxRequestBytes", "10", "Dpr:MaxRequestBytes: at least 1024")]
    [InlineData("Dpr:LargeBodyBytes", "10", "Dpr:LargeBodyBytes: at least 1024 bytes, found 10")]
    [InlineData("Dpr:MaxLargeBodies", "0", "Dpr:MaxLargeBodies: at least 1, found 0")]
    [InlineData("Dpr:Urls", "ftp://localhost:1", "Dpr:Urls: 'ftp://localhost:1' is not an http(s) URL")]
    [InlineData("Dpr:MaxOpenJobs", "many", "Dpr:MaxOpenJobs")]
    [InlineData("Dpr:Placement", "random", "Dpr:Placement: expected lookahead, lru or fifo, found 'random'")]
    [InlineData("Dpr:Placement", "1", "Dpr:Placement: expected lookahead, lru or fifo, found '1'")]
    [InlineData("Dpr:SwapHistoryDays", "0", "Dpr:SwapHistoryDays: more than 0")]
    [InlineData("Dpr:MinFreeDiskMegabytes", "-1", "Dpr:MinFreeDiskMegabytes: 0 (no check)")]
    [InlineData("Dpr:MaxOpenWorkSecondsPerTenant", "0", "Dpr:MaxOpenWorkSecondsPerTenant: more than 0")]
    [InlineData("Dpr:JournalProbeSeconds", "0", "Dpr:JournalProbeSeconds: 0.1 to 3600, found 0")]
    [InlineData("Dpr:StartupTimeoutSeconds", "-1", "Dpr:StartupTimeoutSeconds: 0 (wait as long as it takes) or more, found -1")]
    [InlineData("Dpr:TenantWeights:alice", "0", "Dpr:TenantWeights:alice: a positive number, found '0'")]
    [InlineData("Dpr:TenantWeights:alice", "heavy", "Dpr:TenantWeights:alice: a positive number, found 'heavy'")]
    [InlineData("Dpr:MetricsKey", "short", "Dpr:MetricsKey: at least 16 characters")]
    [InlineData("Dpr:MetricsOpenOnLoopback", "maybe", "Dpr:MetricsOpenOnLoopback")]
    public void A_bad_setting_stops_the_start_naming_the_setting(string key, string value, string expected)
    {
        var e = Assert.Throws<ServiceOptionsException>(() => DprService.Build(new Dictionary<string, string?> { [key] = value, ["Dpr:Data"] = Path.GetTempPath() }));

        Assert.Contains(e.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Request_limits_not_set_are_derived_from_the_boards_ram_and_checked_naming_the_setting()
    {
        var limits = RequestLimits.For(new ServiceOptions(), BoardCatalog.Load("pynq-z2"));
        Assert.Equal(new RequestLimits(MaxRequestBytes: 64 << 20, LargeBodyBytes: 1 << 20, MaxLargeBodies: 8), limits);
        Assert.Equal(new RequestLimits(4096, 1 << 20, 2), RequestLimits.For(new ServiceOptions { MaxRequestBytes = 4096, MaxLargeBodies = 2 }, BoardCatalog.Load("pynq-z2")));

        using var profile = typeof(BoardCatalog).Assembly.GetManifestResourceStream("Dpr.Fabric.Boards.pynq-z2.board.json")!;
        var tiny = Path.Combine(Path.GetTempPath(), $"dpr-tiny-{Guid.NewGuid():N}.board.json");
        File.WriteAllText(tiny, new StreamReader(profile).ReadToEnd().Replace("\"ram\": \"0x20000000\"", "\"ram\": \"0x1000\"", StringComparison.Ordinal));
        try
        {
            var problems = new ServiceOptions { Board = tiny, Data = Path.GetTempPath() }.Validate();

            Assert.Contains("Dpr:MaxRequestBytes: at least 1024 bytes, found 512 (derived from 4096 bytes of RAM; set it)", problems);
            Assert.Contains("Dpr:LargeBodyBytes: at least 1024 bytes, found 8 (derived from 4096 bytes of RAM; set it)", problems);
        }
        finally
        {
            File.Delete(tiny);
        }
    }

    [Fact]
    public void Serve_names_a_missing_postgres_connection_and_exits_1()
    {
        var (exit, _, stderr) = CliRunner.Run("serve", "--journal", "postgres", "--data", Path.GetTempPath());

        Assert.Equal(1, exit);
        Assert.Contains("Dpr:Connection: the postgres journal needs a connection string", stderr);
    }

    [Fact]
    public void Tenants_add_prints_the_key_last_and_stores_only_its_hash()
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-tenants-{Guid.NewGuid():N}");
        try
        {
            var (exit, stdout, _) = CliRunner.Run("tenants", "add", "dana", "--admin", "--data", data);
            Assert.Equal(0, exit);
            var key = stdout.Trim().Split('\n')[^1].Trim();
            Assert.StartsWith("dpr_", key);
            Assert.DoesNotContain(key, File.ReadAllText(Path.Combine(data, TenantStore.FileName)));
            Assert.Equal("dana", new TenantStore(data).Authenticate(key)?.Name);
            Assert.True(new TenantStore(data).Authenticate(key)!.Admin);

            var (again, _, stderr) = CliRunner.Run("tenants", "add", "dana", "--data", data);
            Assert.Equal(1, again);
            Assert.Contains("exists already", stderr);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
