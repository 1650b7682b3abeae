using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Cli;
using Dpr.TestKit;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// The audit trail, keys and authentication failures on the real <c>dpr serve</c>: every admin action is on
/// record with who, what and how it ended, also after a restart; keys rotated and revoked through the API or
/// the CLI take effect from the next request; a burst of failed keys is counted per source and logged at a
/// bounded rate; <c>/metrics</c> follows its access rule.
/// </summary>
public partial class AuditServeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_admin_action_is_recorded_with_who_what_and_outcome_and_still_is_after_a_restart()
    {
        await ServeTenants.WithDataAsync("dpr-audit", async data =>
        {
            var ops = ServeTenants.Key("ops", data, "--admin");
            var alice = ServeTenants.Key("alice", data);
            var expected = new List<(string Action, string? Target, string Outcome, int? Status, string By)> { ("tenant.add", "ops", "ok", null, Cli), ("tenant.add", "alice", "ok", null, Cli) };
            List<AuditEntryDto> before;
            using (var server = ServeProcess.Start(data, ServeProcess.FreePort()))
            {
                await server.WaitReadyAsync(Deadline);
                using var admin = ServeTenants.Client(server.Url, ops);

                async Task Act(HttpResponseMessage response, string action, string? target, HttpStatusCode status)
                {
                    Assert.True(response.StatusCode == status, $"{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    expected.Add((action, target, (int)status < 400 ? "ok" : "failed", (int)status, "ops"));
                }

                await Act(await admin.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int16")), "region.load", "conv", HttpStatusCode.OK);
                await Act(await admin.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("no-such-module")), "region.load", "conv", HttpStatusCode.BadRequest);
                await Act(await admin.PostAsJsonAsync("/v1/regions/conv/upset", new UpsetDto(Correctable: true)), "region.upset", "conv", HttpStatusCode.Accepted);
                await Act(await admin.PostAsync("/v1/regions/conv/reset", null), "region.reset", "conv", HttpStatusCode.OK);
                var created = await admin.PostAsJsonAsync("/v1/tenants", new NewTenantDto("bob"));
                await Act(created, "tenant.add", "bob", HttpStatusCode.Created);
                Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(created.Headers.Location)).StatusCode);
                await Act(await admin.PostAsJsonAsync("/v1/tenants", new NewTenantDto("bob")), "tenant.add", "bob", HttpStatusCode.Conflict);
                await Act(await admin.PostAsJsonAsync("/v1/tenants/bob/keys", new RotateKeyDto("ci")), "key.rotate", "bob", HttpStatusCode.Created);
                await Act(await admin.DeleteAsync("/v1/tenants/bob/keys/default"), "key.revoke", "bob", HttpStatusCode.OK);
                await Act(await admin.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail", 2)), "chaos.port-faults", null, HttpStatusCode.Accepted);
                await Act(await admin.DeleteAsync("/v1/chaos"), "chaos.clear", null, HttpStatusCode.OK);
                await Act(await admin.PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(1)), "chaos.journal-outage", null, HttpStatusCode.Accepted);
                // Refused before it is an admin action: not on record.
                using var tenant = ServeTenants.Client(server.Url, alice);
                Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int8"))).StatusCode);
                Assert.Equal(HttpStatusCode.Forbidden, (await tenant.GetAsync("/v1/audit")).StatusCode);
                // The CLI beside the running service.
                Assert.Equal(0, CliRunner.Run("tenants", "rotate", "alice", "--data", data).Exit);
                expected.Add(("key.rotate", "alice", "ok", null, Cli));

                before = await WaitForAsync(admin, expected.Count, server);
                AssertEntries(expected, before);
                var load = before.Single(e => e.Action == "region.load" && e.Outcome == "ok");
                Assert.Equal(("default", "127.0.0.1", "module conv5x5_int16"), (load.Key, load.Source, load.Detail));
                Assert.Contains("unknown module 'no-such-module'", before.Single(e => e.Action == "region.load" && e.Outcome == "failed").Reason);
                Assert.StartsWith("key ci (dpr_", before.Single(e => e.Action == "key.rotate" && e.By == "ops").Detail);
                Assert.DoesNotContain(before, e => e.Detail is { } d && Regex.IsMatch(d, "dpr_[A-Za-z0-9_-]{20,}"));
                Assert.StartsWith("cli@", before.Single(e => e.Action == "key.rotate" && e.By == Cli).Source);

                // Pages of three, newest first, meet without a gap or an overlap.
                var paged = new List<AuditEntryDto>();
                string? next = null;
                do
                {
                    var page = (await admin.GetFromJsonAsync<AuditPageDto>($"/v1/audit?limit=3{(next is null ? "" : $"&before={next}")}", ApiJson.Options))!;
                    Assert.InRange(page.Entries.Count, 1, 3);
                    paged.AddRange(page.Entries);
                    next = page.Next;
                }
                while (next is not null);
                Assert.Equal(before.Select(e => e.Sequence), paged.Select(e => e.Sequence));
                Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/v1/audit?before=x")).StatusCode);

                var (exit, printed, _) = CliRunner.Run("audit", "--limit", "100", "--url", server.Url.ToString(), "--key", ops);
                Assert.Equal(0, exit);
                Assert.Contains("chaos.journal-outage", printed);
                Assert.Contains("key.revoke", printed);

                server.Terminate();
                Assert.Equal(0, server.WaitForExit(Deadline));
            }

            using var restarted = ServeProcess.Start(data, ServeProcess.FreePort());
            await restarted.WaitReadyAsync(Deadline);
            using var again = ServeTenants.Client(restarted.Url, ops);
            var after = (await again.GetFromJsonAsync<AuditPageDto>("/v1/audit?limit=1000", ApiJson.Options))!.Entries;
            Assert.Equal(before, after);
            Assert.Equal(HttpStatusCode.OK, (await again.PostAsync("/v1/regions/conv/reset", null)).StatusCode);
            var newest = (await again.GetFromJsonAsync<AuditPageDto>("/v1/audit?limit=1", ApiJson.Options))!.Entries.Single();
            Assert.Equal(("region.reset", before.Max(e => e.Sequence) + 1), (newest.Action, newest.Sequence));
            restarted.Terminate();
            Assert.Equal(0, restarted.WaitForExit(Deadline));
        });
    }

    [Fact]
    public async Task Keys_rotated_and_revoked_through_the_api_or_the_cli_are_refused_from_the_next_request_and_names_follow_the_rule()
    {
        await ServeTenants.WithDataAsync("dpr-keys", async data =>
        {
            var ops = ServeTenants.Key("ops", data, "--admin");
            var first = ServeTenants.Key("alice", data);
            using var server = ServeProcess.Start(data, ServeProcess.FreePort());
            await server.WaitReadyAsync(Deadline);
            using var admin = ServeTenants.Client(server.Url, ops);
            async Task<HttpStatusCode> Jobs(string key)
            {
                using var client = ServeTenants.Client(server.Url, key);
                return (await client.GetAsync("/v1/jobs")).StatusCode;
            }

            var rotated = await admin.PostAsJsonAsync("/v1/tenants/alice/keys", new RotateKeyDto());
            Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
            var second = (await rotated.Content.ReadFromJsonAsync<RotatedKeyDto>(ApiJson.Options))!;
            Assert.Equal(("key-2", second.Key[..12]), (second.Name, second.Prefix));
            Assert.Equal(HttpStatusCode.OK, await Jobs(first));
            Assert.Equal(HttpStatusCode.OK, await Jobs(second.Key));

            Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("/v1/tenants/alice/keys/default")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, await Jobs(first));
            Assert.Equal(HttpStatusCode.OK, await Jobs(second.Key));

            // The CLI writes the file under the running service: the next request sees it.
            var (revoked, _, revokeErr) = CliRunner.Run("tenants", "revoke", "alice", "--key", second.Prefix, "--data", data);
            Assert.True(revoked == 0, revokeErr);
            Assert.Equal(HttpStatusCode.Unauthorized, await Jobs(second.Key));
            var (made, stdout, makeErr) = CliRunner.Run("tenants", "rotate", "alice", "--key-name", "laptop", "--data", data);
            Assert.True(made == 0, makeErr);
            var third = stdout.Trim().Split('\n')[^1].Trim();
            Assert.Equal(HttpStatusCode.OK, await Jobs(third));

            var detail = (await admin.GetFromJsonAsync<TenantDetailDto>("/v1/tenants/ALICE", ApiJson.Options))!;
            Assert.Equal("alice", detail.Name);
            Assert.Equal(["laptop"], detail.Keys.Select(k => k.Name));
            Assert.Equal(third[..12], detail.Keys[0].Prefix);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/tenants/nobody")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("/v1/tenants/alice/keys")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, await Jobs(third));

            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/tenants", new NewTenantDto("mallory"))).StatusCode);
            foreach (var (name, status) in new[] { ("..", HttpStatusCode.BadRequest), ("-rf", HttpStatusCode.BadRequest), ("MALLORY", HttpStatusCode.BadRequest), ("mallory", HttpStatusCode.Conflict), ("a/b", HttpStatusCode.BadRequest) })
            {
                var refused = await admin.PostAsJsonAsync("/v1/tenants", new NewTenantDto(name));
                Assert.True(refused.StatusCode == status, $"{name}: {refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            }
            var (cliExit, _, cliErr) = CliRunner.Run("tenants", "add", "Mallory", "--data", data);
            Assert.Equal(1, cliExit);
            Assert.Contains(TenantStore.NamePattern, cliErr);

            // Loopback callers read /metrics without a key by default.
            using var anonymous = new HttpClient { BaseAddress = server.Url };
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/metrics")).StatusCode);
            server.Terminate();
            Assert.Equal(0, server.WaitForExit(Deadline));
        });
    }

    [Fact]
    public async Task A_burst_of_failed_keys_is_counted_per_source_and_logged_at_a_bounded_rate_without_the_keys()
    {
        await ServeTenants.WithDataAsync("dpr-auth-burst", async data =>
        {
            ServeTenants.Key("ops", data, "--admin");
            var logs = Path.Combine(data, "logs");
            using var server = ServeProcess.Start(data, ServeProcess.FreePort(), new Dictionary<string, string> { ["DPR__LOGFILE"] = Path.Combine(logs, "dpr.log") });
            await server.WaitReadyAsync(Deadline);
            using var client = new HttpClient { BaseAddress = server.Url };
            const int Burst = 3000;
            var keys = Enumerable.Range(0, Burst).Select(i => $"dpr_guessed{i:D6}{Guid.NewGuid():N}").ToList();
            var started = DateTime.UtcNow;

            foreach (var batch in keys.Chunk(100))
            {
                var answers = await Task.WhenAll(batch.Select(async key =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
                    return (await client.SendAsync(request)).StatusCode;
                }));
                Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
            }
            var windows = (int)Math.Ceiling((DateTime.UtcNow - started).TotalSeconds / 10) + 1;

            string Log() => string.Join("\n", Directory.Exists(logs) ? Directory.GetFiles(logs, "dpr*.log").Select(f => File.ReadAllText(f)) : []);
            // The failures left out are summed up when the window ends.
            await Eventually.TrueAsync(() => Summed(Log()) == Burst - Lines(Log()), () => $"summaries of {Burst} failures:\n{Log()}", TimeSpan.FromSeconds(30));
            var log = Log();
            Assert.InRange(Lines(log), 1, windows);
            Assert.All(keys.Where((_, i) => i % 100 == 0), key => Assert.DoesNotContain(key[..16], log));
            Assert.Contains("(key dpr_guessed0…)", log);
            using var scrape = new HttpClient { BaseAddress = server.Url };
            Assert.Contains($"dpr_auth_failures_total{{source=\"127.0.0.1\"}} {Burst}", await scrape.GetStringAsync("/metrics"));
            server.Terminate();
            Assert.Equal(0, server.WaitForExit(Deadline));
        });
    }

    [Fact]
    public async Task Metrics_need_the_metrics_key_or_an_admin_key_when_loopback_is_not_open()
    {
        await ServeTenants.WithDataAsync("dpr-metrics", async data =>
        {
            var ops = ServeTenants.Key("ops", data, "--admin");
            var alice = ServeTenants.Key("alice", data);
            var scraperKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
            using var server = ServeProcess.Start(data, ServeProcess.FreePort(), new Dictionary<string, string>
            {
                ["DPR__METRICSKEY"] = scraperKey,
                ["DPR__METRICSOPENONLOOPBACK"] = "false",
            });
            await server.WaitReadyAsync(Deadline);
            async Task<HttpStatusCode> Scrape(string? key)
            {
                using var client = key is null ? new HttpClient { BaseAddress = server.Url } : ServeTenants.Client(server.Url, key);
                return (await client.GetAsync("/metrics")).StatusCode;
            }

            Assert.Equal(HttpStatusCode.Unauthorized, await Scrape(null));
            Assert.Equal(HttpStatusCode.OK, await Scrape(scraperKey));
            Assert.Equal(HttpStatusCode.OK, await Scrape(ops));
            Assert.Equal(HttpStatusCode.Forbidden, await Scrape(alice));
            Assert.Equal(HttpStatusCode.Unauthorized, await Scrape(scraperKey + "x"));
            // The metrics key is for /metrics only.
            Assert.Equal(HttpStatusCode.Unauthorized, (await ServeTenants.Client(server.Url, scraperKey).GetAsync("/v1/jobs")).StatusCode);
            using var admin = ServeTenants.Client(server.Url, ops);
            Assert.Contains("dpr_auth_failures_total{source=\"127.0.0.1\"} 3", await admin.GetStringAsync("/metrics"));
            server.Terminate();
            Assert.Equal(0, server.WaitForExit(Deadline));
        });
    }

    /// <summary>Who <c>dpr tenants</c> run by this test process is on record as.</summary>
    private static string Cli => $"cli:{Environment.UserName}";

    private static void AssertEntries(List<(string Action, string? Target, string Outcome, int? Status, string By)> expected, List<AuditEntryDto> entries)
    {
        var found = entries.Select(e => (e.Action, e.Target, e.Outcome, e.Status, e.By)).ToList();
        foreach (var entry in expected)
        {
            Assert.True(found.Remove(entry), $"no entry {entry} in:\n{string.Join("\n", entries)}");
        }
        Assert.Empty(found);
    }

    private static async Task<List<AuditEntryDto>> WaitForAsync(HttpClient admin, int count, ServeProcess server)
    {
        List<AuditEntryDto> entries = [];
        await Eventually.TrueAsync(
            async () => (entries = [.. (await admin.GetFromJsonAsync<AuditPageDto>("/v1/audit?limit=1000", ApiJson.Options))!.Entries]).Count >= count,
            () => $"{count} audit entries, found {entries.Count}:\n{string.Join("\n", entries)}\n{server.Tail()}", Deadline);
        return entries;
    }

    private static int Lines(string log) => FailedLine().Matches(log).Count;

    private static int Summed(string log) => SummaryLine().Matches(log).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex("Authentication failed from 127\\.0\\.0\\.1")]
    private static partial Regex FailedLine();

    [GeneratedRegex("Authentication failures not logged in the last 10 s: (\\d+)")]
    private static partial Regex SummaryLine();
}
