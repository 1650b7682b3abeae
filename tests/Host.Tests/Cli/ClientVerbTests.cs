using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Tests.Api;

namespace Dpr.Host.Tests.Cli;

/// <summary>The verbs for people (<c>submit</c>, <c>jobs</c>, <c>regions</c>, <c>swaps</c>, <c>modules list</c>) against a server on a loopback port.</summary>
public sealed class ClientVerbTests : IAsyncLifetime
{
    private ApiServer _server = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _server = await ApiServer.StartAsync(kestrel: true);
        _dir = Path.Combine(_server.Data, "cli");
        Directory.CreateDirectory(_dir);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private (int Exit, string Out, string Err) Dpr(string tenant, params string[] args) =>
        CliRunner.Run([.. args, "--url", _server.Url!.ToString(), "--key", _server.Keys[tenant]]);

    [Fact]
    public void Submit_waits_for_every_job_writes_the_results_and_lists_them()
    {
        var jobs = new[] { TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 1), TestJobs.Make("conv5x5_int16", [1, 2, 8, 8], [2, 2, 5, 5], seed: 2) };
        var file = Path.Combine(_dir, "jobs.json");
        File.WriteAllText(file, JsonSerializer.Serialize(jobs.Select(j => j.Job), ApiJson.Options));
        var results = Path.Combine(_dir, "results");

        var (exit, stdout, stderr) = Dpr("alice", "submit", file, "--wait", "--out", results);

        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(stdout, "completed").Count);
        var written = Directory.GetFiles(results).Select(f => JsonSerializer.Deserialize<ResultDto>(File.ReadAllText(f), ApiJson.Options)!.Data).Order();
        Assert.Equal(jobs.Select(j => Convert.ToBase64String(j.Expected)).Order(), written);

        var (listed, list, _) = Dpr("alice", "jobs", "--state", "completed", "--json");
        Assert.Equal(0, listed);
        Assert.Equal(2, JsonSerializer.Deserialize<JobListDto>(list, ApiJson.Options)!.Jobs.Count);
    }

    [Fact]
    public void Submit_sends_every_job_of_a_mixed_file_reports_each_id_or_refusal_waits_for_the_accepted_and_exits_1()
    {
        var good = TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 3).Job;
        var bad = good with { Module = "conv9x9_int8" };
        var file = Path.Combine(_dir, "mixed.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new[] { good, bad, good with { Shift = 1 } }, ApiJson.Options));

        var (exit, stdout, stderr) = Dpr("bob", "submit", file, "--wait", "--json");

        Assert.Equal(1, exit);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["mixed.json[0]", "mixed.json[1]", "mixed.json[2]"], rows.Select(r => r.GetProperty("source").GetString()));
        Assert.Equal(["completed", "refused", "completed"], rows.Select(r => r.GetProperty("state").GetString()));
        Assert.False(rows[1].TryGetProperty("id", out _));
        Assert.Equal("module", rows[1].GetProperty("field").GetString());
        Assert.Contains("unknown module 'conv9x9_int8'", rows[1].GetProperty("error").GetString());
        Assert.Contains("dpr submit: mixed.json[1] refused: 400", stderr);
        // Both accepted jobs are bob's, completed, with the ids printed.
        var (_, list, _) = Dpr("bob", "jobs", "--state", "completed", "--json");
        Assert.Equal(
            new[] { rows[0], rows[2] }.Select(r => r.GetProperty("id").GetGuid()).Order(),
            JsonSerializer.Deserialize<JobListDto>(list, ApiJson.Options)!.Jobs.Select(j => j.Id).Order());
    }

    [Fact]
    public void Help_never_shows_the_key_of_the_environment()
    {
        const string secret = "dpr_helpMustNeverShowThisKey0000000000000000000";
        Environment.SetEnvironmentVariable("DPR_KEY", secret);
        try
        {
            foreach (var verb in new[] { "regions", "submit", "jobs", "swaps", "audit" })
            {
                var (_, stdout, stderr) = CliRunner.Run(verb, "--help");
                Assert.Contains("$DPR_KEY", stdout);
                Assert.DoesNotContain(secret[..12], stdout + stderr);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("DPR_KEY", null);
        }
    }

    [Fact]
    public void Audit_prints_the_admin_actions_and_refuses_a_tenant_key()
    {
        Assert.Equal(0, Dpr("ops", "regions", "load", "conv", "conv3x3_int16").Exit);

        var (exit, stdout, stderr) = CliRunner.Run("audit", "--json", "--url", _server.Url!.ToString(), "--key", _server.Keys["ops"]);
        Assert.True(exit == 0, stderr);
        var page = JsonSerializer.Deserialize<AuditPageDto>(stdout, ApiJson.Options)!;
        var load = Assert.Single(page.Entries, e => e.Action == "region.load" && e.Detail == "module conv3x3_int16");
        Assert.Equal(("ops", "conv", "ok", 200), (load.By, load.Target, load.Outcome, load.Status));

        var (refused, _, why) = Dpr("bob", "audit");
        Assert.Equal(1, refused);
        Assert.Contains("not an admin", why);
    }

    [Fact]
    public void Admins_load_modules_and_everyone_sees_regions_swaps_and_modules()
    {
        var (loaded, loadOut, loadErr) = Dpr("ops", "regions", "load", "conv", "conv5x5_int32");
        Assert.True(loaded == 0, loadErr);
        Assert.Contains("conv5x5_int32", loadOut);

        Assert.Contains("Loaded", Dpr("bob", "regions").Out);
        Assert.Contains("requested", Dpr("bob", "swaps", "--partition", "conv").Out);
        // The board by name, as against a fleet node: the service's one board, or a 404 naming the field.
        Assert.Equal(0, Dpr("ops", "regions", "load", "conv", "conv3x3_int8", "--board", "pynq-z2").Exit);
        Assert.Contains("conv3x3_int8", Dpr("bob", "swaps", "--board", "pynq-z2", "--limit", "1").Out);
        var (unknown, _, why) = Dpr("ops", "regions", "reset", "conv", "--board", "pynq-z2-9");
        Assert.Equal(1, unknown);
        Assert.StartsWith("dpr regions reset: 404", why);
        Assert.Contains("[field board]", why);
        var modules = Dpr("bob", "modules", "list").Out;
        Assert.Contains("conv3x3_8bit", modules);
        Assert.Contains("conv5x5_int32", modules);
    }

    [Fact]
    public void Refusals_print_the_status_detail_and_field_and_exit_1()
    {
        var (exit, _, stderr) = Dpr("bob", "regions", "load", "conv", "conv3x3_int8");
        Assert.Equal(1, exit);
        Assert.StartsWith("dpr regions load: 403", stderr);
        Assert.Contains("[field authorization]", stderr);

        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, """{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAA"}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}""");
        var (badExit, _, badErr) = Dpr("alice", "submit", bad);
        Assert.Equal(1, badExit);
        Assert.Contains("[field input]", badErr);

        var (down, _, downErr) = CliRunner.Run("jobs", "--url", "http://127.0.0.1:1", "--key", "x");
        Assert.Equal(1, down);
        Assert.Contains("cannot reach", downErr);

        var (notId, _, notIdErr) = Dpr("alice", "jobs", "cancel", "not-a-guid");
        Assert.NotEqual(0, notId);
        Assert.Contains("'not-a-guid' is not a job id", notIdErr);
        Assert.DoesNotContain("System.Guid", notIdErr);
    }

    [Fact]
    public void A_job_file_with_a_field_in_another_case_is_refused_naming_it()
    {
        var file = Path.Combine(_dir, "cased.json");
        File.WriteAllText(file, """{"Module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}""");

        var (exit, _, stderr) = Dpr("alice", "submit", file);

        Assert.Equal(1, exit);
        Assert.Contains("400", stderr);
        Assert.Contains("[field Module]", stderr);
    }
}
