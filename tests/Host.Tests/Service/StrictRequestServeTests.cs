using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;

namespace Dpr.Host.Tests.Service;

/// <summary>One real <c>dpr serve</c> (simulated pynq-z2, partition <c>conv</c>) with a tenant and an admin, shared by <see cref="StrictRequestServeTests"/>.</summary>
public sealed class StrictServe : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"dpr-strict-{Guid.NewGuid():N}");
    private ServeProcess? _server;

    public HttpClient Alice { get; private set; } = null!;

    public HttpClient Ops { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var alice = ServeTenants.Key("alice", _data);
        var ops = ServeTenants.Key("ops", _data, "--admin");
        _server = ServeProcess.Start(_data, ServeProcess.FreePort());
        await _server.WaitReadyAsync(TimeSpan.FromSeconds(60));
        Alice = ServeTenants.Client(_server.Url, alice);
        Ops = ServeTenants.Client(_server.Url, ops);
    }

    public Task DisposeAsync()
    {
        Alice?.Dispose();
        Ops?.Dispose();
        if (_server is not null)
        {
            _server.Terminate();
            _server.WaitForExit(TimeSpan.FromSeconds(30));
            _server.Dispose();
        }
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// One meaning per request (issue 27; docs/api.md, "Request rules") against the real service, as a
/// hostile tenant would send it: each request a proxy in front of dpr could read differently than dpr
/// runs it is refused with the status and the field the docs give, and nothing in a refusal names a
/// .NET type.
/// </summary>
public class StrictRequestServeTests(StrictServe serve) : IClassFixture<StrictServe>
{
    /// <summary>A 4×4 int8 input and a 3×3 kernel of zeros: a job the board runs.</summary>
    private const string Tensors = "\"input\": {\"shape\": [1, 1, 4, 4], \"data\": \"AAAAAAAAAAAAAAAAAAAAAA==\"}, \"weights\": {\"shape\": [1, 1, 3, 3], \"data\": \"AAAAAAAAAAAA\"}";

    [Fact]
    public async Task A_job_with_exactly_the_documented_names_and_types_is_accepted()
    {
        var response = await PostAsync(serve.Alice, "/v1/jobs", Job("\"shift\": 0, \"priority\": 100, \"padding\": \"same\", \"idempotencyKey\": \"layer-1_batch:7\""));

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_repeated_field_is_400_naming_it()
    {
        var response = await PostAsync(serve.Alice, "/v1/jobs", Job("\"shift\": 0, \"stride\": 1, \"shift\": 9"));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "shift", "shift: sent more than once");
    }

    [Fact]
    public async Task A_repeated_tensor_field_is_400_naming_its_path()
    {
        var body = "{\"module\": \"conv3x3_int8\", \"input\": {\"shape\": [1, 1, 4, 4], \"shape\": [1, 1, 2, 8], \"data\": \"AAAAAAAAAAAAAAAAAAAAAA==\"}}";

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "input.shape", "sent more than once");
    }

    [Fact]
    public async Task A_name_in_another_case_is_400_naming_it()
    {
        var body = "{\"MODULE\": \"conv3x3_int8\", " + Tensors + "}";

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "MODULE", "MODULE: unknown field (names are matched exactly");
    }

    [Fact]
    public async Task An_unknown_field_is_400_naming_it()
    {
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"shfit\": 2")), HttpStatusCode.BadRequest, "shfit", "shfit: unknown field");
    }

    [Fact]
    public async Task An_unknown_field_in_a_tensor_is_400_naming_its_path()
    {
        var body = "{\"module\": \"conv3x3_int8\", \"input\": {\"shapee\": [1, 1, 4, 4], \"data\": \"AAAAAAAAAAAAAAAAAAAAAA==\"}}";

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "input.shapee", "input.shapee: unknown field");
    }

    [Fact]
    public async Task A_number_sent_as_a_string_is_400_naming_it()
    {
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"shift\": \"3\"")), HttpStatusCode.BadRequest, "shift", "shift: expected a number, found a string");
    }

    [Fact]
    public async Task A_dimension_sent_as_a_string_is_400_naming_its_index()
    {
        var body = "{\"module\": \"conv3x3_int8\", \"input\": {\"shape\": [1, 1, \"6\", 6], \"data\": \"\"}}";

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "input.shape[2]", "input.shape[2]: expected a number, found a string");
    }

    [Fact]
    public async Task A_shape_longer_than_four_dimensions_is_400_before_more_is_read()
    {
        var body = "{\"module\": \"conv3x3_int8\", \"input\": {\"shape\": [1, 1, 4, 4, " + string.Join(", ", Enumerable.Repeat(1, 10_000)) + "]}}";

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "input.shape", "expected 4 dimensions (NCHW), found more");
    }

    [Fact]
    public async Task An_idempotency_key_of_a_megabyte_is_400_and_not_stored()
    {
        var key = new string('k', 1 << 20);

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job($"\"idempotencyKey\": \"{key}\"")), HttpStatusCode.BadRequest, "idempotencyKey", "idempotencyKey: a JSON value longer than 1048576 bytes");
        var longer = new string('k', 201);
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job($"\"idempotencyKey\": \"{longer}\"")), HttpStatusCode.BadRequest, "idempotencyKey", "idempotencyKey: at most 200 characters, found 201");
    }

    [Fact]
    public async Task An_idempotency_key_with_a_space_or_a_control_character_is_400()
    {
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"idempotencyKey\": \"layer 1\"")), HttpStatusCode.BadRequest, "idempotencyKey", "printable ASCII characters without spaces, found U+0020 at 5");
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"idempotencyKey\": \"a\\u0000b\"")), HttpStatusCode.BadRequest, "idempotencyKey", "found U+0000 at 1");
    }

    [Fact]
    public async Task A_priority_outside_its_range_is_400()
    {
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"priority\": 2147483647")), HttpStatusCode.BadRequest, "priority", "priority: expected an integer from -100 to 100, found 2147483647");
    }

    [Fact]
    public async Task A_module_name_longer_than_its_bound_is_400()
    {
        var body = $"{{\"module\": \"{new string('m', 129)}\", {Tensors}}}";

        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "module", "module: at most 128 characters, found 129");
    }

    [Fact]
    public async Task A_value_in_another_case_than_documented_is_400()
    {
        await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"padding\": \"SAME\"")), HttpStatusCode.BadRequest, "padding", "padding: expected same or valid, found 'SAME'");
    }

    [Fact]
    public async Task A_body_sent_as_a_form_is_415_naming_the_content_type()
    {
        // What curl -d sends without -H 'Content-Type: application/json'.
        using var form = new StringContent(Job(""), Encoding.UTF8, "application/x-www-form-urlencoded");

        var response = await serve.Alice.PostAsync("/v1/jobs", form);

        await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, "content-type", "send the body as JSON with 'Content-Type: application/json', found 'application/x-www-form-urlencoded");
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_415()
    {
        using var bare = new ByteArrayContent(Encoding.UTF8.GetBytes(Job("")));

        await AssertRefusedAsync(await serve.Alice.PostAsync("/v1/jobs", bare), HttpStatusCode.UnsupportedMediaType, "content-type", "found no Content-Type");
        using var load = new ByteArrayContent("{\"module\": \"conv3x3_int8\"}"u8.ToArray());
        load.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await AssertRefusedAsync(await serve.Ops.PostAsync("/v1/regions/conv/load", load), HttpStatusCode.UnsupportedMediaType, "content-type", "found 'text/plain'");
    }

    [Fact]
    public async Task A_small_body_is_read_by_the_same_rules()
    {
        await AssertRefusedAsync(await PostAsync(serve.Ops, "/v1/regions/conv/load", "{\"Module\": \"conv3x3_int8\"}"), HttpStatusCode.BadRequest, "Module", "Module: unknown field (names are matched exactly; this object takes module)");
        await AssertRefusedAsync(await PostAsync(serve.Ops, "/v1/regions/conv/load", "{\"module\": \"conv3x3_int8\", \"module\": \"conv5x5_int16\"}"), HttpStatusCode.BadRequest, "module", "module: sent more than once");
        await AssertRefusedAsync(await PostAsync(serve.Ops, "/v1/chaos/port-faults", "{\"kind\": \"fail\", \"count\": \"3\"}"), HttpStatusCode.BadRequest, "count", "count: expected an integer from -2147483648 to 2147483647, found a string");
        await AssertRefusedAsync(await PostAsync(serve.Ops, "/v1/chaos/journal-outage", "{\"seconds\": 5, \"sconds\": 5}"), HttpStatusCode.BadRequest, "sconds", "sconds: unknown field");
        await AssertRefusedAsync(await PostAsync(serve.Ops, "/v1/chaos/upsets", "{\"partition\": \"conv\", \"correctable\": \"false\"}"), HttpStatusCode.BadRequest, "correctable", "correctable: expected true or false (or null), found a string");
        await AssertRefusedAsync(await PostAsync(serve.Ops, "/v1/regions/conv/upset", "[]"), HttpStatusCode.BadRequest, "body", "body: expected a JSON object, found an array");
        Assert.Empty((await serve.Ops.GetFromJsonAsync<ChaosStateDto>("/v1/chaos", ApiJson.Options))!.PortFaults);
    }

    [Fact]
    public async Task A_repeated_or_unknown_query_parameter_is_400_naming_it()
    {
        await AssertRefusedAsync(await serve.Alice.GetAsync("/v1/jobs?limit=5&limit=500"), HttpStatusCode.BadRequest, "limit", "limit: sent more than once");
        await AssertRefusedAsync(await serve.Alice.GetAsync("/v1/jobs?limt=5"), HttpStatusCode.BadRequest, "limt", "limt: unknown query parameter");
        await AssertRefusedAsync(await serve.Alice.GetAsync("/v1/swaps?LIMIT=5"), HttpStatusCode.BadRequest, "LIMIT", "unknown query parameter");
    }

    [Fact]
    public async Task A_query_number_that_is_not_plain_digits_is_400_naming_it()
    {
        await AssertRefusedAsync(await serve.Alice.GetAsync("/v1/jobs?limit=abc"), HttpStatusCode.BadRequest, "limit", "limit: expected an integer from 1 to 1000, found 'abc'");
        await AssertRefusedAsync(await serve.Alice.GetAsync("/v1/swaps?limit=%2B5"), HttpStatusCode.BadRequest, "limit", "found '+5'");
    }

    [Fact]
    public async Task A_cursor_longer_than_its_bound_is_400()
    {
        await AssertRefusedAsync(await serve.Alice.GetAsync($"/v1/swaps?before={new string('A', 1025)}"), HttpStatusCode.BadRequest, "before", "before: at most 1024 characters, found 1025");
    }

    [Fact]
    public async Task A_refusal_names_json_kinds_and_the_docs_precision_without_escapes()
    {
        var body = "{\"module\": \"conv3x3_int8\", \"input\": {\"shape\": [1, 1, 4, 4], \"data\": \"AAAA\"}, \"weights\": {\"shape\": [1, 1, 3, 3], \"data\": \"AAAAAAAAAAAA\"}}";

        var problem = await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", body), HttpStatusCode.BadRequest, "input", "shape [1, 1, 4, 4] of int8 needs 16 bytes, found 3");
        var kinds = await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", "{\"module\": \"conv3x3_int8\", \"input\": [1]}"), HttpStatusCode.BadRequest, "input", "input: expected an object {shape, data} (or null), found an array");

        Assert.DoesNotContain("Int8", problem);
        Assert.DoesNotContain("TensorDto", kinds);
        var quoted = await AssertRefusedAsync(await PostAsync(serve.Alice, "/v1/jobs", Job("\"padding\": \"SAME\"")), HttpStatusCode.BadRequest, "padding", "'SAME'");
        Assert.DoesNotContain("\\u0027", quoted);
    }

    private static string Job(string fields) =>
        "{\"module\": \"conv3x3_int8\", " + Tensors + (fields.Length > 0 ? ", " + fields : "") + "}";

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await client.PostAsync(path, content);
    }

    /// <summary>The problem's status, field and words; its raw text, to look for what must not be in it.</summary>
    private static async Task<string> AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string field, string detail)
    {
        var problem = await ApiTests.AssertProblem(response, status, field);
        var text = problem.GetProperty("detail").GetString()!;
        Assert.Contains(detail, text);
        Assert.DoesNotContain("System.", text);
        Assert.DoesNotContain("Dpr.", text);
        return await response.Content.ReadAsStringAsync();
    }
}
