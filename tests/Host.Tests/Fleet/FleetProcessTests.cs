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
using Dpr.Tests;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// The fleet as <c>dpr fleet up</c> starts it: 4 <c>dpr serve --cluster</c> processes, 8 simulated boards,
/// one PostgreSQL. A node that hosts boards is SIGKILLed while jobs are queued and running; its boards
/// come back on the other nodes, and every acknowledged job is audited: completed with the reference
/// result, one stored result each, and none accepted or completed twice in what the journal still holds.
/// </summary>
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
            () => $"the boards spread over the 4 nodes; on {hosts}", TimeSpan.FromMinutes(2));

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

        foreach (var (id, output) in expected)
        {
            Assert.Equal("completed", await FinalStateAsync(alice, id));
            Assert.Equal(Convert.ToBase64String(output), (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
        }
        await Eventually.TrueAsync(async () => (await BoardsAsync(alice)).Boards is { Count: 8 } all && all.All(b => b.Node != victim),
            "every board answering from the surviving nodes", TimeSpan.FromMinutes(1));
        using var serialization = ActorSystem.Create("dpr-fleet-audit", ConfigurationFactory.ParseString(DprSerializer.Hocon + "\nakka.loglevel = WARNING"));
        var tally = JobJournalTally.ReadPostgres(fleet.ConnectionString, serialization);
        Assert.Empty(tally.Unreadable);
        // A board that drains (its shard moves to another node) checkpoints its intake, and the snapshot
        // deletes the events it covers: what is still on record shows each job accepted and completed at most once.
        Assert.All(expected.Keys, id =>
        {
            Assert.InRange(tally.Accepted.GetValueOrDefault(id), 0, 1);
            Assert.InRange((tally.Outcomes.GetValueOrDefault(id) ?? []).Count, 0, 1);
            Assert.DoesNotContain("failed", tally.Outcomes.GetValueOrDefault(id) ?? []);
        });
        Assert.True(tally.Outcomes.Count > 0, "some completions still on record");
        await using var connection = new Npgsql.NpgsqlConnection(fleet.ConnectionString);
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
        Assert.True(expected.Count >= 40, $"acknowledged {expected.Count} of 48 jobs");
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
    private static async Task<string> FinalStateAsync(HttpClient client, Guid id)
    {
        var state = "unknown";
        await Eventually.TrueAsync(async () =>
        {
            var response = await client.GetAsync($"/v1/jobs/{id}");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return false;
            }
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            state = (await response.Content.ReadFromJsonAsync<JobDto>(ApiJson.Options))!.State;
            return state is "completed" or "failed" or "cancelled";
        }, () => $"job {id} finished; it is {state}", TimeSpan.FromMinutes(3));
        return state;
    }

    private static async Task<BoardListDto> BoardsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<BoardListDto>("/v1/boards", ApiJson.Options))!;
}
