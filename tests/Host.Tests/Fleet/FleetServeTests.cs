using System.Globalization;
using System.Net.Http.Json;
using Dpr.Actors.Journal;
using Dpr.Actors.Tests.Journal;
using Dpr.Host.Api;
using Dpr.Host.Fleet;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Eventually = Dpr.TestKit.Eventually;
using Microsoft.Extensions.Configuration;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// <c>dpr serve --cluster</c> in one process: two nodes (each a full service, remoting on loopback) on a
/// PostgreSQL cluster the test starts, sharing three simulated boards. Membership and sharding (each node
/// hosts boards), placement (a module's jobs stay on the board holding it), a graceful leave (the
/// leaving node's boards move to the other, and jobs go on), a gateway-only node (its requests reach the
/// boards through the shard-region proxy), and a fleet started again on the same journal (remember-entities
/// brings the boards back, their partitions as they were, their jobs still on record).
/// </summary>
[Collection(nameof(FleetNodes))]
public sealed class FleetServeTests
{
    internal static Dictionary<string, string?> Node(TemporaryPostgresCluster postgres, int port, int seedPort, int boards, double headroomMs = 25) => new()
    {
        ["Dpr:Journal"] = "postgres",
        ["Dpr:Connection"] = postgres.ConnectionString,
        ["Dpr:Cluster:Enabled"] = "true",
        ["Dpr:Cluster:Port"] = port.ToString(CultureInfo.InvariantCulture),
        ["Dpr:Cluster:SeedNodes:0"] = $"akka.tcp://dpr@127.0.0.1:{seedPort.ToString(CultureInfo.InvariantCulture)}",
        ["Dpr:Cluster:Boards"] = boards.ToString(CultureInfo.InvariantCulture),
        ["Dpr:Cluster:PlacementHeadroomMilliseconds"] = headroomMs.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public void A_fleet_on_the_sqlite_journal_and_bad_cluster_settings_are_refused_naming_them()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dpr:Cluster:Enabled"] = "true",
            ["Dpr:Cluster:SeedNodes:0"] = "http://127.0.0.1:4053",
            ["Dpr:Cluster:Roles"] = "board,router",
            ["Dpr:Cluster:PlacementHeadroomMilliseconds"] = "-1",
            ["Dpr:Cluster:SpreadMarginMilliseconds"] = "10",
            ["Dpr:Cluster:FailureDetectionSeconds"] = "0.1",
        }).Build();

        var problems = ServiceOptions.From(configuration).Validate();

        Assert.Contains(problems, p => p.StartsWith("Dpr:Cluster:Enabled: a fleet keeps its state in a shared journal", StringComparison.Ordinal));
        Assert.Contains("Dpr:Cluster:SeedNodes: 'http://127.0.0.1:4053' is not a member address akka.tcp://dpr@HOST:PORT", problems);
        Assert.Contains("Dpr:Cluster:Roles: board, gateway or both, found 'board,router'", problems);
        Assert.Contains("Dpr:Cluster:PlacementHeadroomMilliseconds: 0 to less than the boards' aging bound (250 ms), found -1", problems);
        Assert.Contains("Dpr:Cluster:FailureDetectionSeconds: 0.5 to 600, found 0.1", problems);
        Assert.Contains(problems, p => p.StartsWith("Dpr:Cluster:SpreadMarginMilliseconds: removed; a module now stays on its boards", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task Two_nodes_share_the_boards_place_a_modules_jobs_on_one_board_and_a_leaving_node_hands_its_boards_over()
    {
        using var postgres = TemporaryPostgresCluster.Start();
        await JournalSchema.EnsureCreatedAsync(postgres.Journal, CancellationToken.None);
        var (portA, portB) = (ServeProcess.FreePort(), ServeProcess.FreePort());
        await using var a = await ApiServer.StartAsync(Node(postgres, portA, portA, boards: 3, headroomMs: 0));
        var b = await ApiServer.StartAsync(Node(postgres, portB, portA, boards: 3, headroomMs: 0));
        using var alice = a.Client("alice");
        using var aliceOnB = b.Client("alice");

        // Sharding spreads the boards over both members.
        var nodes = new HashSet<string>();
        await Eventually.TrueAsync(async () =>
        {
            var list = await BoardsAsync(aliceOnB);
            nodes = [.. list.Boards.Select(x => x.Node)];
            return list.Boards.Count == 3 && nodes.Count == 2;
        }, () => $"3 boards on 2 nodes; hosted on {string.Join(", ", nodes)}", TimeSpan.FromMinutes(3));

        await RunJobsAsync(alice, aliceOnB, 8);
        var holding = (await BoardsAsync(alice)).Boards.Where(x => x.Loaded.Count > 0).ToList();
        Assert.Equal(["conv3x3_int8", "conv5x5_int16"], holding.SelectMany(x => x.Loaded).Order(StringComparer.Ordinal));
        Assert.Equal(2, holding.Count);
        // /v1/regions lists every board's partitions, each with its board.
        var regions = (await aliceOnB.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions;
        Assert.Equal(["pynq-z2-0", "pynq-z2-1", "pynq-z2-2"], regions.Select(r => r.Board).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(["conv3x3_int8", "conv5x5_int16"], regions.Where(r => r.Module is not null).Select(r => r.Module!).Order(StringComparer.Ordinal));

        // A retry with an idempotency key reaches the board that has the first attempt, though placement would pick the
        // other board (the retry names the module the other board holds), while the job is held and once it finished.
        var first = await TestJobs.SubmitAsync(alice, TestJobs.Make("conv3x3_int8", [1, 2, 12, 12], [2, 2, 3, 3], seed: 30).Job with { IdempotencyKey = "retry-1" });
        var elsewhere = TestJobs.Make("conv5x5_int16", [1, 2, 12, 12], [2, 2, 5, 5], seed: 31).Job with { IdempotencyKey = "retry-1" };
        var retry = await TestJobs.SubmitAsync(alice, elsewhere);
        Assert.Equal((first.Id, false, true), (retry.Id, first.Duplicate, retry.Duplicate));
        Assert.Equal("completed", (await TestJobs.WaitAsync(alice, first.Id, TimeSpan.FromMinutes(2))).State);
        var again = await TestJobs.SubmitAsync(alice, elsewhere);
        Assert.Equal((first.Id, true), (again.Id, again.Duplicate));
        // The retries made no job: alice's conv5x5_int16 jobs are the four of RunJobsAsync.
        Assert.Equal(4, (await alice.GetFromJsonAsync<JobListDto>("/v1/jobs", ApiJson.Options))!.Jobs.Count(j => j.Module == "conv5x5_int16"));

        await b.DisposeAsync();

        var addressA = $"akka.tcp://dpr@127.0.0.1:{portA.ToString(CultureInfo.InvariantCulture)}";
        await Eventually.TrueAsync(async () => (await BoardsAsync(alice)).Boards is { Count: 3 } all && all.All(x => x.Node == addressA),
            "every board hosted by the remaining node", TimeSpan.FromMinutes(3));
        var (later, laterOutput) = TestJobs.Make("conv5x5_int16", [1, 2, 12, 12], [2, 2, 5, 5], seed: 20);
        var laterId = (await TestJobs.SubmitAsync(alice, later)).Id;
        Assert.Equal("completed", (await TestJobs.WaitAsync(alice, laterId, TimeSpan.FromMinutes(2))).State);
        Assert.Equal(Convert.ToBase64String(laterOutput), (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{laterId}/result", ApiJson.Options))!.Data);
    }

    [PostgresFact]
    public async Task A_gateway_without_boards_lists_the_board_nodes_boards_and_places_jobs_on_them()
    {
        using var postgres = TemporaryPostgresCluster.Start();
        await JournalSchema.EnsureCreatedAsync(postgres.Journal, CancellationToken.None);
        var (portA, portB) = (ServeProcess.FreePort(), ServeProcess.FreePort());
        await using var boards = await ApiServer.StartAsync(Node(postgres, portA, portA, boards: 2));
        var gatewaySettings = Node(postgres, portB, portA, boards: 2);
        gatewaySettings["Dpr:Cluster:Roles"] = "gateway";
        await using var gateway = await ApiServer.StartAsync(gatewaySettings);
        using var alice = gateway.Client("alice");

        var addressA = $"akka.tcp://dpr@127.0.0.1:{portA.ToString(CultureInfo.InvariantCulture)}";
        await Eventually.TrueAsync(async () => (await BoardsAsync(alice)).Boards is { Count: 2 } all && all.All(x => x.Node == addressA),
            "both boards listed by the gateway, hosted by the board node", TimeSpan.FromMinutes(3));
        await RunJobsAsync(alice, alice, 4);
        Assert.Equal(["conv3x3_int8", "conv5x5_int16"], (await BoardsAsync(alice)).Boards.SelectMany(x => x.Loaded).Order(StringComparer.Ordinal));
    }

    [PostgresFact]
    public async Task A_fleet_started_again_on_the_same_journal_brings_its_boards_back_with_their_partitions_and_jobs()
    {
        using var postgres = TemporaryPostgresCluster.Start();
        await JournalSchema.EnsureCreatedAsync(postgres.Journal, CancellationToken.None);
        var port = ServeProcess.FreePort();
        var first = await ApiServer.StartAsync(Node(postgres, port, port, boards: 2, headroomMs: 0));
        Guid id;
        string[] loaded;
        using (var alice = first.Client("alice"))
        {
            await Eventually.TrueAsync(async () => (await BoardsAsync(alice)).Boards.Count == 2, "both boards answering", TimeSpan.FromMinutes(3));
            var (job, _) = TestJobs.Make("conv5x5_int16", [1, 2, 12, 12], [2, 2, 5, 5], seed: 1);
            id = (await TestJobs.SubmitAsync(alice, job)).Id;
            Assert.Equal("completed", (await TestJobs.WaitAsync(alice, id, TimeSpan.FromMinutes(2))).State);
            loaded = Partitions(await BoardsAsync(alice));
        }
        Assert.Single(loaded, b => b.EndsWith(": conv5x5_int16", StringComparison.Ordinal));
        await first.DisposeAsync();

        // Another node on another port, the same journal: remember-entities starts the boards, their region managers recover.
        var again = ServeProcess.FreePort();
        await using var second = await ApiServer.StartAsync(Node(postgres, again, again, boards: 2, headroomMs: 0));
        using var aliceAgain = second.Client("alice");
        // A new process starts with an empty simulated board, so each region reloads its module from the journal: until
        // that swap completes the board truthfully lists the partition as not loaded.
        string[] seen = [];
        await Eventually.TrueAsync(
            async () => (seen = Partitions(await BoardsAsync(aliceAgain))).SequenceEqual(loaded),
            () => $"both boards back with {string.Join("; ", loaded)}; last seen {string.Join("; ", seen)}",
            TimeSpan.FromMinutes(3));
        Assert.Equal("completed", (await aliceAgain.GetFromJsonAsync<JobDto>($"/v1/jobs/{id}", ApiJson.Options))!.State);
    }

    /// <summary><paramref name="count"/> jobs, conv3x3_int8 and conv5x5_int16 in turn, submitted through one node and each completed with its reference result as another sees it.</summary>
    private static async Task RunJobsAsync(HttpClient submit, HttpClient check, int count)
    {
        var expected = new Dictionary<Guid, byte[]>();
        for (var i = 0; i < count; i++)
        {
            var kernel = i % 2 == 0 ? 3 : 5;
            var (job, output) = TestJobs.Make(i % 2 == 0 ? "conv3x3_int8" : "conv5x5_int16", [1, 2, 12, 12], [2, 2, kernel, kernel], seed: i);
            expected[(await TestJobs.SubmitAsync(submit, job)).Id] = output;
        }
        foreach (var (id, output) in expected)
        {
            Assert.Equal("completed", (await TestJobs.WaitAsync(check, id, TimeSpan.FromMinutes(2))).State);
            Assert.Equal(Convert.ToBase64String(output), (await check.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!.Data);
        }
    }

    /// <summary>Each board with the modules its partitions hold, <c>pynq-z2-0: conv5x5_int16</c>.</summary>
    private static string[] Partitions(BoardListDto list) =>
        [.. list.Boards.OrderBy(b => b.Board, StringComparer.Ordinal).Select(b => $"{b.Board}: {string.Join(",", b.Loaded)}")];

    internal static async Task<BoardListDto> BoardsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<BoardListDto>("/v1/boards", ApiJson.Options))!;
}
