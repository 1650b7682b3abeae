using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Actors.Journal;
using Dpr.Actors.Tests.Journal;
using Dpr.Host.Api;
using Dpr.Host.Cli;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// <c>dpr serve</c> on PostgreSQL, against clusters the tests start (password authentication, as a
/// deployment has): the swap history read back; a wrong password, a missing database and a closed port
/// each named in <c>/readyz</c>, in the 503 of every <c>/v1</c> call, in the metrics and once per probe in
/// the log, then, past <c>Dpr:StartupTimeoutSeconds</c>, in the exit of the process; and a server restart
/// in the middle of a run, after which every accepted job completes.
/// </summary>
public sealed class PostgresServeTests
{
    private const string Password = "dpr-test-secret";

    /// <summary>Probes every half second, so an outage shows within one.</summary>
    private const string ProbeSeconds = "0.5";

    private const int StartupTimeoutSeconds = 8;

    [PostgresFact]
    public async Task The_swap_history_returns_a_load_stored_in_postgresql()
    {
        using var cluster = TemporaryPostgresCluster.Start(password: Password);
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Dpr:Journal"] = "postgres",
            ["Dpr:Connection"] = cluster.ConnectionString,
        });
        using var ops = server.Client("ops");

        var load = await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int8"), ApiJson.Options);
        Assert.True(load.IsSuccessStatusCode, await load.Content.ReadAsStringAsync());
        var swaps = await ops.GetAsync("/v1/swaps");

        Assert.True(swaps.IsSuccessStatusCode, $"{(int)swaps.StatusCode}: {await swaps.Content.ReadAsStringAsync()}");
        var page = (await swaps.Content.ReadFromJsonAsync<SwapPageDto>(ApiJson.Options))!;
        Assert.Contains(page.Swaps, s => s.Module == "conv3x3_int8" && s.Outcome == "completed");
    }

    [PostgresFact]
    public async Task The_audit_trail_is_stored_in_postgresql_and_read_back_a_page_at_a_time()
    {
        using var cluster = TemporaryPostgresCluster.Start(password: Password);
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Dpr:Journal"] = "postgres",
            ["Dpr:Connection"] = cluster.ConnectionString,
        });
        using var ops = server.Client("ops");

        Assert.True((await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int8"), ApiJson.Options)).IsSuccessStatusCode);
        Assert.True((await ops.PostAsJsonAsync("/v1/tenants/alice/keys", new RotateKeyDto("ci"), ApiJson.Options)).IsSuccessStatusCode);
        var first = (await ops.GetFromJsonAsync<AuditPageDto>("/v1/audit?limit=1", ApiJson.Options))!;
        var second = (await ops.GetFromJsonAsync<AuditPageDto>($"/v1/audit?limit=1&before={first.Next}", ApiJson.Options))!;

        Assert.Equal(("key.rotate", "alice", "ok"), (first.Entries.Single().Action, first.Entries.Single().Target, first.Entries.Single().Outcome));
        Assert.Equal(("region.load", "conv", "module conv3x3_int8"), (second.Entries.Single().Action, second.Entries.Single().Target, second.Entries.Single().Detail));
        Assert.Null(second.Next);
    }

    /// <summary>
    /// With PostgreSQL, a job's large input and its result are in the database, which every host on it
    /// shares, and nothing of either is in the data directory.
    /// </summary>
    [PostgresFact]
    public async Task Large_inputs_and_results_are_kept_in_postgresql()
    {
        using var cluster = TemporaryPostgresCluster.Start(password: Password);
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Dpr:Journal"] = "postgres",
            ["Dpr:Connection"] = cluster.ConnectionString,
        });
        using var alice = server.Client("alice");
        // 8 x 100 x 100 int8 = 80,000 bytes: past the 64 KiB kept inline in the journal.
        var (job, output) = TestJobs.Make("conv3x3_int8", [1, 8, 100, 100], [2, 8, 3, 3], seed: 3);

        var id = (await TestJobs.SubmitAsync(alice, job)).Id;

        Assert.Equal("completed", (await TestJobs.WaitAsync(alice, id, TimeSpan.FromMinutes(2))).State);
        Assert.Equal(Convert.ToBase64String(output), (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
        Assert.False(Directory.Exists(Path.Combine(server.Data, "results")));
        Assert.False(Directory.Exists(Path.Combine(server.Data, "blobs")));
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT (SELECT count(*) FROM dpr_results WHERE job_id = @id), (SELECT count(*) FROM dpr_blobs)", connection);
        count.Parameters.AddWithValue("id", id);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt64(0));
        Assert.Equal(1, reader.GetInt64(1));
    }

    [PostgresFact]
    public async Task A_wrong_password_is_named_and_the_start_gives_up_naming_it()
    {
        using var cluster = TemporaryPostgresCluster.Start(password: Password);
        var wrong = new Npgsql.NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Password = "not-the-password" }.ToString();

        await AssertUnreachableAsync(wrong, "28P01 password authentication failed for user \"postgres\"");
    }

    [PostgresFact]
    public async Task A_missing_database_is_named_and_the_start_gives_up_naming_it()
    {
        using var cluster = TemporaryPostgresCluster.Start(password: Password);
        var missing = new Npgsql.NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "no_such_db" }.ToString();

        await AssertUnreachableAsync(missing, "3D000 database \"no_such_db\" does not exist");
    }

    [PostgresFact]
    public async Task An_unreachable_host_is_named_and_the_start_gives_up_naming_it()
    {
        var port = ServeProcess.FreePort();
        var closed = $"Host=127.0.0.1;Port={port};Database=dpr;Username=dpr;Password={Password}";

        await AssertUnreachableAsync(closed, $"Failed to connect to 127.0.0.1:{port}");
    }

    /// <summary>
    /// Jobs accepted just before the server stops (some still queued or running, their outcome not yet
    /// stored), an outage named in <c>/readyz</c> and in the refusal of new work, then the server back:
    /// ready again, and every job accepted before or after completes with the reference result. The
    /// first start is on an empty database: the tables are created without a race.
    /// </summary>
    [PostgresFact]
    public async Task After_a_server_restart_mid_run_the_service_is_ready_again_and_every_accepted_job_completes()
    {
        using var cluster = TemporaryPostgresCluster.Start(password: Password);
        await ServeTenants.WithDataAsync("dpr-pg-outage", async data =>
        {
            var key = ServeTenants.Key("alice", data);
            using var serve = ServeProcess.Start(data, ServeProcess.FreePort(), Environment(cluster.ConnectionString));
            await serve.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var client = ServeTenants.Client(serve.Url, key);
            var expected = new Dictionary<Guid, byte[]>();
            for (var i = 0; i < 4; i++)
            {
                var (job, output) = TestJobs.Make(i % 2 == 0 ? "conv3x3_int8" : "conv5x5_int16", [1, 4, 24, 24], [4, 4, i % 2 == 0 ? 3 : 5, i % 2 == 0 ? 3 : 5], seed: i);
                expected[(await TestJobs.SubmitAsync(client, job)).Id] = output;
            }

            cluster.StopServer();
            // The first probe may meet the server going down (a connection cut mid-read); then it is refused.
            var (status, reason) = await ReadyzAsync(serve, r => r.Reason.StartsWith("journal: Failed to connect to 127.0.0.1", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.StartsWith("journal: Failed to connect to 127.0.0.1", reason);
            var refused = await client.PostAsJsonAsync("/v1/jobs", TestJobs.Make("conv3x3_int8", [1, 1, 4, 4], [1, 1, 3, 3], seed: 9).Job, ApiJson.Options);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.StartsWith("the journal is unavailable: Failed to connect to 127.0.0.1", Detail(await refused.Content.ReadAsStringAsync()));

            cluster.StartServer();
            await serve.WaitReadyAsync(TimeSpan.FromSeconds(60));
            var (later, laterOutput) = TestJobs.Make("conv5x5_int16", [1, 4, 24, 24], [4, 4, 5, 5], seed: 10);
            expected[(await TestJobs.SubmitAsync(client, later)).Id] = laterOutput;
            foreach (var (id, output) in expected)
            {
                Assert.Equal("completed", (await TestJobs.WaitAsync(client, id, TimeSpan.FromMinutes(2))).State);
                Assert.Equal(Convert.ToBase64String(output), (await client.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
            }

            var log = serve.Tail(int.MaxValue);
            Assert.DoesNotContain("23505", log);
            Assert.DoesNotContain("42P01", log);
            Assert.Contains("Journal reachable after", log);
            serve.Terminate();
            Assert.Equal(0, serve.WaitForExit(TimeSpan.FromSeconds(60)));
        });
    }

    /// <summary>
    /// A real <c>dpr serve</c> whose journal cannot be reached: <c>/readyz</c> is 503 naming
    /// <paramref name="cause"/>, a <c>/v1</c> call is refused with it, the metrics say the journal is down,
    /// the log names it once per probe (and not the actors' failures), and past the start-up timeout the
    /// process exits with <see cref="ExitCodes.Unavailable"/> and one message naming it.
    /// </summary>
    private static async Task AssertUnreachableAsync(string connection, string cause) =>
        await ServeTenants.WithDataAsync("dpr-pg-down", async data =>
        {
            var key = ServeTenants.Key("alice", data);
            var environment = Environment(connection);
            environment["DPR__STARTUPTIMEOUTSECONDS"] = StartupTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var serve = ServeProcess.Start(data, ServeProcess.FreePort(), environment);

            var (status, reason) = await ReadyzAsync(serve, _ => true);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.StartsWith($"journal: {cause}", reason);
            using var client = ServeTenants.Client(serve.Url, key);
            var jobs = await client.GetAsync("/v1/jobs");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, jobs.StatusCode);
            Assert.StartsWith($"the journal is unavailable: {cause}", Detail(await jobs.Content.ReadAsStringAsync()));
            Assert.NotNull(jobs.Headers.RetryAfter);
            Assert.Contains("dpr_journal_up 0", await client.GetStringAsync("/metrics"));

            var exit = serve.WaitForExit(TimeSpan.FromSeconds(StartupTimeoutSeconds + 60));
            var log = serve.Tail(int.MaxValue);
            Assert.True(exit == ExitCodes.Unavailable, $"exit code {exit}:{System.Environment.NewLine}{log}");
            Assert.Contains($"dpr serve: the journal was not reachable within {StartupTimeoutSeconds} s (Dpr:StartupTimeoutSeconds): {cause}", log);
            var lines = log.Split(System.Environment.NewLine);
            // One line per probe (two a second), not one per actor restart with its stack.
            Assert.InRange(lines.Count(l => l.Contains("Journal unavailable: " + cause, StringComparison.Ordinal)), 1, (StartupTimeoutSeconds * 2) + 4);
            var leaked = lines.Select((line, i) => (line, i)).Where(l => l.line.Contains("Persistence failure", StringComparison.Ordinal))
                .Select(l => string.Join(System.Environment.NewLine, lines.Skip(l.i).Take(8))).ToList();
            Assert.True(leaked.Count == 0, string.Join(System.Environment.NewLine + System.Environment.NewLine, leaked));
            Assert.True(lines.Length < 100, $"{lines.Length} lines logged:{System.Environment.NewLine}{log}");
        });

    private static Dictionary<string, string> Environment(string connection) => new()
    {
        ["DPR__JOURNAL"] = "postgres",
        ["DPR__CONNECTION"] = connection,
        ["DPR__JOURNALPROBESECONDS"] = ProbeSeconds,
    };

    /// <summary>Polls <c>/readyz</c> until an answer satisfies <paramref name="until"/>; returns it with its <c>reason</c> (empty when ready).</summary>
    private static async Task<(HttpStatusCode Status, string Reason)> ReadyzAsync(ServeProcess serve, Func<(HttpStatusCode Status, string Reason), bool> until)
    {
        using var http = new HttpClient { BaseAddress = serve.Url, Timeout = TimeSpan.FromSeconds(5) };
        (HttpStatusCode Status, string Reason) answer = default;
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    var response = await http.GetAsync("/readyz");
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    answer = (response.StatusCode, body.RootElement.TryGetProperty("reason", out var reason) ? reason.GetString() ?? "" : "");
                    return until(answer);
                }
                catch (HttpRequestException)
                {
                    return false; // Not listening yet.
                }
            },
            () => $"/readyz answered as waited for; last {answer}", TimeSpan.FromSeconds(60));
        return answer;
    }

    /// <summary>The <c>detail</c> of a problem (RFC 7807) body.</summary>
    private static string Detail(string problem)
    {
        using var body = JsonDocument.Parse(problem);
        return body.RootElement.GetProperty("detail").GetString() ?? "";
    }
}
