using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dpr.Host.Api;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Api;

/// <summary>One server for the class: every endpoint and every error of docs/api.md.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public ApiServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:MaxRequestBytes"] = "65536" });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public class ApiTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private ApiServer Server => shared.Server;

    [Theory]
    [InlineData("conv3x3_int8", new[] { 1, 2, 12, 10 }, new[] { 3, 2, 3, 3 }, "same", 2)]
    [InlineData("conv5x5_16bit", new[] { 2, 1, 9, 9 }, new[] { 2, 1, 5, 5 }, "valid", 4)]
    [InlineData("conv3x3_int32", new[] { 1, 3, 6, 6 }, new[] { 2, 3, 3, 3 }, "same", 0)]
    public async Task A_submitted_job_completes_with_the_reference_result(string module, int[] input, int[] weights, string padding, int shift)
    {
        var client = Server.Client("alice");
        var (job, expected) = TestJobs.Make(module, input, weights, seed: input.Sum(), padding, shift);

        var response = await client.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var submitted = (await response.Content.ReadFromJsonAsync<SubmittedDto>(ApiJson.Options))!;
        Assert.Equal("queued", submitted.State);
        Assert.Equal($"/v1/jobs/{submitted.Id}", response.Headers.Location?.ToString());

        var done = await TestJobs.WaitAsync(client, submitted.Id);
        Assert.Equal("completed", done.State);
        Assert.Equal(Dpr.Fabric.Convolution.ConvModule.Resolve(module).Name.Value, done.Module);
        Assert.True(done.AcceptedAt <= done.StartedAt && done.StartedAt <= done.FinishedAt, $"accepted {done.AcceptedAt:O}, started {done.StartedAt:O}, finished {done.FinishedAt:O}");
        Assert.Equal((done.StartedAt - done.AcceptedAt)!.Value.TotalMilliseconds, done.WaitMs);
        var result = (await client.GetFromJsonAsync<ResultDto>($"/v1/jobs/{submitted.Id}/result", ApiJson.Options))!;
        Assert.Equal(Convert.ToBase64String(expected), result.Data);
        Assert.Equal(Dpr.Fabric.Convolution.ConvModule.Resolve(module).Precision.ToString().ToLowerInvariant(), result.Precision);
        Assert.Equal(input[0], result.Shape[0]);
        Assert.Equal(weights[0], result.Shape[1]);

        var listed = (await client.GetFromJsonAsync<JobListDto>("/v1/jobs?state=completed", ApiJson.Options))!;
        Assert.Contains(listed.Jobs, j => j.Id == submitted.Id);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_job()
    {
        var client = Server.Client("alice");
        var job = TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 5).Job with { IdempotencyKey = "once-" + Guid.NewGuid() };

        var first = await TestJobs.SubmitAsync(client, job);
        var second = await TestJobs.SubmitAsync(client, job);

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task A_tenant_cannot_see_cancel_or_read_another_tenants_job()
    {
        var job = TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 6).Job;
        var id = (await TestJobs.SubmitAsync(Server.Client("alice"), job)).Id;
        var bob = Server.Client("bob");

        await AssertProblem(await bob.GetAsync($"/v1/jobs/{id}"), HttpStatusCode.NotFound, "id");
        await AssertProblem(await bob.GetAsync($"/v1/jobs/{id}/result"), HttpStatusCode.NotFound, "id");
        await AssertProblem(await bob.DeleteAsync($"/v1/jobs/{id}"), HttpStatusCode.NotFound, "id");
        var bobs = (await bob.GetFromJsonAsync<JobListDto>("/v1/jobs", ApiJson.Options))!;
        Assert.DoesNotContain(bobs.Jobs, j => j.Id == id);
        Assert.Equal("completed", (await TestJobs.WaitAsync(Server.Client("alice"), id)).State);
    }

    [Fact]
    public async Task A_missing_or_unknown_key_is_401_with_a_bearer_challenge()
    {
        var none = await Server.Client(null).GetAsync("/v1/jobs");
        await AssertProblem(none, HttpStatusCode.Unauthorized, "authorization");
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.ToString());

        var client = Server.Client(null);
        client.DefaultRequestHeaders.Authorization = new("Bearer", "dpr_not-a-key");
        await AssertProblem(await client.GetAsync("/v1/regions"), HttpStatusCode.Unauthorized, "authorization");
    }

    [Theory]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, "x", 4], "data": ""}}""", "input.shape[2]")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "!!"}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}""", "input.data")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAA"}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}""", "input")]
    [InlineData("""{"module": "conv7x7_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}""", "module")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 5, 5], "data": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}""", "weights.shape")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}, "padding": "full"}""", "padding")]
    [InlineData("""{"input": {"shape": [1, 1, 4, 4], "data": "AAAA"}}""", "module")]
    [InlineData("""{"module": "conv3x3_int8",""", "body")]
    // Hostile values: a deadline that once stalled the board, a shape whose element count overflows 64 bits, a huge key.
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}, "deadline": "0001-01-01T00:00:00Z"}""", "deadline")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}, "deadline": "9999-12-31T23:59:59Z"}""", "deadline")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1073741824, 4, 65536, 65536], "data": ""}, "weights": {"shape": [1, 4, 3, 3], "data": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}""", "input")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}, "idempotencyKey": ""}""", "idempotencyKey")]
    public async Task Bad_input_is_a_400_naming_the_field(string body, string field)
    {
        var response = await Server.Client("alice").PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblem(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_is_413()
    {
        var big = TestJobs.Make("conv3x3_int8", [1, 1, 256, 256], [1, 1, 3, 3], seed: 7).Job;

        await AssertProblem(await Server.Client("alice").PostAsJsonAsync("/v1/jobs", big, ApiJson.Options), HttpStatusCode.RequestEntityTooLarge, "body");
    }

    [Fact]
    public async Task Admins_load_and_reset_partitions_and_the_swap_is_on_record()
    {
        var ops = Server.Client("ops");
        var first = await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int8"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var again = (await (await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_8bit"))).Content.ReadFromJsonAsync<LoadedDto>(ApiJson.Options))!;
        Assert.Equal(new LoadedDto("conv", "conv5x5_int8", Hit: true), again);

        var regions = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
        var conv = Assert.Single(regions.Regions);
        Assert.Equal("conv", conv.Partition);
        Assert.Equal("lookahead", regions.Placement);
        Assert.True(conv.Swaps >= 1);

        var swaps = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps?partition=conv&limit=1000", ApiJson.Options))!;
        Assert.Contains(swaps.Swaps, s => s is { Module: "conv5x5_int8", Outcome: "completed", Reason: "requested" } && s.Bytes > 0 && s.TotalMs > 0);

        var reset = await ops.PostAsync("/v1/regions/conv/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal("conv", (await reset.Content.ReadFromJsonAsync<RegionDto>(ApiJson.Options))!.Partition);
    }

    [Fact]
    public async Task Loading_needs_an_admin_a_known_partition_and_a_module_for_it()
    {
        await AssertProblem(await Server.Client("alice").PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int8")), HttpStatusCode.Forbidden, "authorization");
        await AssertProblem(await Server.Client("alice").PostAsync("/v1/regions/conv/reset", null), HttpStatusCode.Forbidden, "authorization");
        var ops = Server.Client("ops");
        await AssertProblem(await ops.PostAsJsonAsync("/v1/regions/pr_9/load", new LoadDto("conv3x3_int8")), HttpStatusCode.NotFound, "partition");
        await AssertProblem(await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv9x9_int8")), HttpStatusCode.BadRequest, "module");
    }

    [Fact]
    public async Task The_swap_history_pages_newest_first_with_a_cursor()
    {
        var ops = Server.Client("ops");
        foreach (var module in new[] { "conv3x3_int16", "conv3x3_int32", "conv3x3_int16" })
        {
            Assert.Equal(HttpStatusCode.OK, (await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto(module))).StatusCode);
        }

        var first = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps?limit=2", ApiJson.Options))!;
        Assert.Equal(2, first.Swaps.Count);
        Assert.NotNull(first.Next);
        Assert.True(first.Swaps[0].Sequence > first.Swaps[1].Sequence);
        var second = (await ops.GetFromJsonAsync<SwapPageDto>($"/v1/swaps?limit=2&before={first.Next}", ApiJson.Options))!;
        Assert.NotEmpty(second.Swaps);
        Assert.True(second.Swaps[0].Sequence < first.Swaps[1].Sequence);

        await AssertProblem(await ops.GetAsync("/v1/swaps?before=%%%"), HttpStatusCode.BadRequest, "before");
        // A crafted cursor naming a partition twice once answered 500 with an empty body.
        var twice = Convert.ToBase64String(Encoding.UTF8.GetBytes("conv:1,conv:2"));
        await AssertProblem(await ops.GetAsync($"/v1/swaps?before={twice}"), HttpStatusCode.BadRequest, "before");
        await AssertProblem(await ops.GetAsync("/v1/swaps?partition=nope"), HttpStatusCode.NotFound, "partition");
    }

    [Fact]
    public async Task Modules_lists_the_six_convolution_engines()
    {
        var modules = (await Server.Client("bob").GetFromJsonAsync<ModuleListDto>("/v1/modules", ApiJson.Options))!;

        Assert.Equal(6, modules.Modules.Count);
        Assert.Contains(modules.Modules, m => m is { Name: "conv3x3_int8", Alias: "conv3x3_8bit", KernelSize: 3, Precision: "int8", Partition: "conv" });
        Assert.All(modules.Modules, m => Assert.Equal(64, m.Sha256.Length));
    }

    [Fact]
    public async Task Results_of_unfinished_or_unknown_jobs_and_cancelling_finished_ones_are_refused()
    {
        var client = Server.Client("alice");
        await AssertProblem(await client.GetAsync($"/v1/jobs/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "id");
        var id = (await TestJobs.SubmitAsync(client, TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 8).Job)).Id;
        Assert.Equal("completed", (await TestJobs.WaitAsync(client, id)).State);

        await AssertProblem(await client.DeleteAsync($"/v1/jobs/{id}"), HttpStatusCode.Conflict, "state");
        await AssertProblem(await client.GetAsync("/v1/jobs?state=sleeping"), HttpStatusCode.BadRequest, "state");
        await AssertProblem(await client.GetAsync("/v1/jobs?limit=0"), HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task Admins_make_tenants_whose_keys_work_and_tenants_cannot()
    {
        var ops = Server.Client("ops");
        var name = "carol" + Guid.NewGuid().ToString("N")[..6];
        var created = await ops.PostAsJsonAsync("/v1/tenants", new NewTenantDto(name));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<TenantKeyDto>(ApiJson.Options))!.Key;

        var carol = Server.Client(null);
        carol.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await carol.GetAsync("/v1/jobs")).StatusCode);
        await AssertProblem(await ops.PostAsJsonAsync("/v1/tenants", new NewTenantDto(name)), HttpStatusCode.Conflict, "name");
        await AssertProblem(await ops.PostAsJsonAsync("/v1/tenants", new NewTenantDto("no spaces")), HttpStatusCode.BadRequest, "name");
        await AssertProblem(await carol.GetAsync("/v1/tenants"), HttpStatusCode.Forbidden, "authorization");
        Assert.Contains(name, await ops.GetStringAsync("/v1/tenants"));
    }

    [Fact]
    public async Task Health_readiness_metrics_and_the_openapi_document_are_served()
    {
        var anonymous = Server.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        // Ready once every actor answers its 2 s readiness ask, which a loaded machine can miss right after the start.
        HttpResponseMessage ready = null!;
        await Eventually.TrueAsync(async () => (ready = await anonymous.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the service ready", TimeSpan.FromSeconds(30));
        Assert.Contains("\"conv\"", await ready.Content.ReadAsStringAsync());

        var id = (await TestJobs.SubmitAsync(Server.Client("bob"), TestJobs.Make("conv5x5_int32", [1, 1, 8, 8], [1, 1, 5, 5], seed: 9).Job)).Id;
        await TestJobs.WaitAsync(Server.Client("bob"), id);
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("dpr_swaps_total{module=\"conv5x5_int32\",outcome=\"completed\"}", metrics);
        Assert.Contains("dpr_swap_duration_seconds_count", metrics);
        Assert.Contains("dpr_job_wait_seconds_count{module=\"conv5x5_int32\"}", metrics);
        Assert.Contains("dpr_tenant_job_wait_seconds_count{tenant=\"bob\"}", metrics);
        Assert.Contains("dpr_jobs_submitted_total{outcome=\"accepted\"}", metrics);
        Assert.Matches(@"(?m)^dpr_jobs_finished_total\{module=""conv5x5_int32"",outcome=""completed""\} [1-9]", metrics);
        Assert.Matches(@"(?m)^dpr_job_run_seconds_count\{module=""conv5x5_int32""\} [1-9]", metrics);
        Assert.Matches(@"(?m)^dpr_partition_module\{partition=""conv"",module=""conv5x5_int32""\} 1$", metrics);
        Assert.Matches(@"(?m)^process_working_set_bytes [1-9]", metrics);
        Assert.Matches(@"(?m)^dotnet_total_memory_bytes [1-9]", metrics);
    }

    [Fact]
    public async Task The_openapi_document_names_the_key_every_problem_and_the_operational_endpoints_and_its_page_is_served_offline()
    {
        var anonymous = Server.Client(null);
        using var openApi = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json"));
        var root = openApi.RootElement;
        Assert.StartsWith("3.1.", root.GetProperty("openapi").GetString());
        Assert.Equal("bearer", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var paths = root.GetProperty("paths");
        foreach (var path in new[] { "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/result", "/v1/regions", "/v1/regions/{partition}/load", "/v1/modules", "/v1/swaps", "/healthz", "/readyz", "/metrics" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }
        string[] Problems(string path, string method) =>
            [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject()
                .Where(r => r.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out _))
                .Select(r => r.Name).Order()];
        foreach (var (path, operations) in paths.EnumerateObject().Where(p => p.Name.StartsWith("/v1/", StringComparison.Ordinal)).Select(p => (p.Name, p.Value)))
        {
            foreach (var operation in operations.EnumerateObject())
            {
                Assert.True(operation.Value.TryGetProperty("security", out _), $"{operation.Name} {path} names no key");
                Assert.Contains("401", Problems(path, operation.Name));
            }
        }
        Assert.Equal(["400", "401", "413", "415", "429", "503", "507"], Problems("/v1/jobs", "post"));
        Assert.Equal(["401", "429", "503"], Problems("/v1/jobs", "get"));
        Assert.Contains("403", Problems("/v1/regions/{partition}/load", "post"));
        Assert.Contains("404", Problems("/v1/jobs/{id}", "get"));
        var jobExample = paths.GetProperty("/v1/jobs").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.Equal("conv3x3_8bit", jobExample.GetProperty("module").GetString());
        var addTenant = paths.GetProperty("/v1/tenants").GetProperty("post").GetProperty("responses");
        Assert.True(addTenant.TryGetProperty("201", out var created) && created.GetProperty("content").TryGetProperty("application/json", out _), "POST /v1/tenants answers 201 with the key");
        Assert.False(addTenant.TryGetProperty("200", out _));
        Assert.Contains("409", Problems("/v1/tenants", "post"));
        Assert.True(paths.TryGetProperty("/v1/tenants/{name}", out _), "the Location of a new tenant resolves");

        // The reference page and its script come from the service itself, not from a CDN.
        var page = await anonymous.GetStringAsync("/docs/");
        Assert.Contains("<script", page);
        Assert.DoesNotMatch(@"(src|href)=""https?://", page);
        var script = await anonymous.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        await AssertProblem(await Server.Client("alice").GetAsync("/v1/nothing"), HttpStatusCode.NotFound, "path");
    }

    [Fact]
    public async Task A_path_that_exists_with_other_methods_is_a_405_naming_them()
    {
        var response = await Server.Client("alice").DeleteAsync("/v1/jobs");
        var problem = await AssertProblem(response, HttpStatusCode.MethodNotAllowed, "method");
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow.Order());
        Assert.Contains("GET, POST", problem.GetProperty("detail").GetString());
    }

    internal static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }
}
