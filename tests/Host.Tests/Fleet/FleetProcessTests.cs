using System.Net;
using System.Net.Http.Json;
using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Serialization;
using Dpr.Actors.Tests.Journal;
using Dpr.Host.Api;
using Dpr.Host.Fleet;
using Dpr.Host.Tests.Api;
using Dpr.Host.Tests.Service;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// The fleet as <c>dpr fleet up</c> starts it: <c>dpr serve --cluster</c> processes sharing simulated boards
/// on one PostgreSQL. A node that hosts boards is SIGKILLed (4 nodes, 8 boards) or stopped with SIGTERM
/// (2 nodes, 4 boards) while jobs are queued and running; its boards come back on the other nodes, and every
/// acknowledged job is audited: completed with the reference result, one stored result each, and none
/// accepted or completed twice in what the journal still holds. Bounds are liveness limits sized for a
/// loaded 2-core machine, not timings.
/// </summary>
[Collection(nameof(FleetNodes))]
public sealed class FleetProcessTests
{
    private static readonly string[] Modules = ["conv3x3_int8", "conv5x5_int16", "conv3x3_int16", "conv5x5_int8"];

    [PostgresFact]
    public async Task A_node_killed_under_load_loses_no_acknowledged_job_and_completes_none_twice()
    {
        using var fleet = await LocalFleet.StartAsync(boards: 8, nodes: 4, Path.Combine(Path.GetTempPath(), $"dpr-fleet-test-{Guid.NewGuid():N}"));
        using var alice = ServeTenants.Client(fleet.Nodes[0].Url, fleet.Keys["alice"]);
        // Sharding rebalances the boards onto the nodes that joined after the first.
        var victim = fleet.Members[3];
        var hosts = 0;
        await Eventually.TrueAsync(async () => (hosts = (await BoardsAsync(alice)).Boards.Select(b => b.Node).Distinct().Count()) == 4,
            () => $"the boards spread over the 4 nodes; on {hosts}", TimeSpan.FromMinutes(3));

        var expected = new Dictionary<Guid, byte[]>();
        for (var i = 0; i < 48; i++)
        {
            if (i == 24)
            {
                fleet.Nodes[3].Kill();
            }
            var module = Modules[i % Modules.Length];
            var kernel = module.StartsWith("conv3x3", StringComparison.Ordinal) ? 3 : 5;
            var (job, output) = TestJobs.Make(module, [1, 4, 32, 32], [4, 4, kernel, kernel], seed: i);
            if (await SubmitAsync(alice, job) is { } id)
            {
                expected[id] = output;
            }
        }

        await AssertCompletedOnceAsync(alice, fleet.ConnectionString, expected);
        await Eventually.TrueAsync(async () => (await BoardsAsync(alice)).Boards is { Count: 8 } all && all.All(b => b.Node != victim),
            "every board answering from the surviving nodes", TimeSpan.FromMinutes(3));
        Assert.True(expected.Count >= 40, $"acknowledged {expected.Count} of 48 jobs");
    }

    [PostgresFact]
    public async Task A_node_stopped_with_SIGTERM_exits_cleanly_and_hands_its_boards_and_their_jobs_to_the_others()
    {
        using var fleet = await LocalFleet.StartAsync(boards: 4, nodes: 2, Path.Combine(Path.GetTempPath(), $"dpr-fleet-test-{Guid.NewGuid():N}"),
            new Dictionary<string, string> { ["DPR__CLUSTER__SPREADAFTERQUEUED"] = "1" });
        using var alice = ServeTenants.Client(fleet.Nodes[0].Url, fleet.Keys["alice"]);
        var leaving = fleet.Members[1];
        await Eventually.TrueAsync(async () => (await BoardsAsync(alice)).Boards.Any(b => b.Node == leaving),
            "a board hosted by the second node", TimeSpan.FromMinutes(3));

        var expected = new Dictionary<Guid, byte[]>();
        for (var i = 0; i < 24; i++)
        {
            if (i == 12)
            {
                fleet.Nodes[1].Terminate();
            }
            var (job, output) = TestJobs.Make(Modules[i % Modules.Length], [1, 4, 32, 32], [4, 4, i % 2 == 0 ? 3 : 5, i % 2 == 0 ? 3 : 5], seed: i);
            if (await SubmitAsync(alice, job) is { } id)
            {
                expected[id] = output;
            }
        }

        // Generous: the node leaves the cluster, its boards drain their running jobs and hand off.
        Assert.Equal(0, fleet.Nodes[1].WaitForExit(TimeSpan.FromMinutes(3)));
        await AssertCompletedOnceAsync(alice, fleet.ConnectionString, expected);
        var boards = (await BoardsAsync(alice)).Boards;
        Assert.Equal(4, boards.Count);
        Assert.All(boards, b => Assert.Equal(fleet.Members[0], b.Node));
        Assert.True(expected.Count >= 12, $"acknowledged {expected.Count} of 24 jobs");
    }

    /// <summary>
    /// Every job completed with its reference result, stored once in the shared results table; a board that
    /// drains (its shard moves) checkpoints its intake, and the snapshot deletes the events it covers: what
    /// is still on record shows each job accepted and completed at most once, and none failed.
    /// </summary>
    private static async Task AssertCompletedOnceAsync(HttpClient client, string connectionString, Dictionary<Guid, byte[]> expected)
    {
        foreach (var (id, output) in expected)
        {
            var (state, body) = await FinalStateAsync(client, id);
            Assert.True(state == "completed", $"job {id} ended {state}: {body}");
            Assert.Equal(Convert.ToBase64String(output), (await client.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
        }
        using var serialization = ActorSystem.Create("dpr-fleet-audit", ConfigurationFactory.ParseString(DprSerializer.Hocon + "\nakka.loglevel = WARNING"));
        var tally = JobJournalTally.ReadPostgres(connectionString, serialization);
        Assert.Empty(tally.Unreadable);
        Assert.All(expected.Keys, id =>
        {
            Assert.InRange(tally.Accepted.GetValueOrDefault(id), 0, 1);
            Assert.InRange((tally.Outcomes.GetValueOrDefault(id) ?? []).Count, 0, 1);
            Assert.DoesNotContain(JobJournalTally.Failed, tally.Outcomes.GetValueOrDefault(id) ?? []);
        });
        Assert.True(tally.Outcomes.Count > 0, "some completions still on record");
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var results = new Npgsql.NpgsqlCommand("SELECT job_id, count(*) FROM dpr_results GROUP BY job_id", connection);
        var stored = new Dictionary<Guid, long>();
        await using (var reader = await results.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored[reader.GetGuid(0)] = reader.GetInt64(1);
            }
        }
        Assert.All(expected.Keys, id => Assert.Equal(1, stored.GetValueOrDefault(id)));
    }

    /// <summary>The job's id once acknowledged; null when the fleet refused it (a 429 or 503 while the killed node's boards move).</summary>
    private static async Task<Guid?> SubmitAsync(HttpClient client, SubmitJobDto job)
    {
        var response = await client.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);
        return response.StatusCode == HttpStatusCode.Accepted
            ? (await response.Content.ReadFromJsonAsync<SubmittedDto>(ApiJson.Options))!.Id
            : response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable
                ? null
                : throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The job's state once finished; a 503 (a board moving) is asked again.</summary>
    private static async Task<(string State, string Body)> FinalStateAsync(HttpClient client, Guid id)
    {
        var state = "unknown";
        var body = "";
        await Eventually.TrueAsync(async () =>
        {
            var response = await client.GetAsync($"/v1/jobs/{id}");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return false;
            }
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            body = await response.Content.ReadAsStringAsync();
            state = System.Text.Json.JsonSerializer.Deserialize<JobDto>(body, ApiJson.Options)!.State;
            return state is "completed" or "failed" or "cancelled";
        }, () => $"job {id} finished; it is {state}", TimeSpan.FromMinutes(3));
        return (state, body);
    }

    private static async Task<BoardListDto> BoardsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<BoardListDto>("/v1/boards", ApiJson.Options))!;
}
