using System.Net;
using System.Net.Http.Json;
using Dpr.Actors.Journal;
using Dpr.Actors.Tests.Journal;
using Dpr.Host.Api;
using Dpr.Host.Fleet;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Dpr.Host.Tests.Dashboard;
using Eventually = Dpr.TestKit.Eventually;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// An operator's calls against any node of a fleet (two in-process nodes sharing two boards on PostgreSQL): region
/// commands name the board and reach it wherever it runs, <c>/v1/swaps</c> lists every board's swaps each with its
/// board, <c>/metrics</c> has every board's series labelled with its board, <c>/v1/chaos/upsets</c> strikes the board it
/// names, and <c>GET /v1/events</c> streams the events of the boards the node hosts, each with its board.
/// </summary>
[Collection(nameof(FleetNodes))]
public sealed class FleetOperatorApiTests
{
    [PostgresFact]
    public async Task Region_commands_swaps_and_metrics_address_the_fleets_boards_from_any_node()
    {
        await using var fleet = await TwoNodes.StartAsync();
        var (opsOnA, opsOnB) = (fleet.OpsOnA, fleet.OpsOnB);
        var partition = (await opsOnA.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.First().Partition;

        // A load through each node into the board the other... whichever hosts it: the route names the board.
        var loaded = await opsOnA.PostAsJsonAsync($"/v1/boards/pynq-z2-1/regions/{partition}/load", new LoadDto("conv3x3_int8"));
        Assert.True(loaded.StatusCode == HttpStatusCode.OK, await loaded.Content.ReadAsStringAsync());
        Assert.Equal(new LoadedDto(partition, "conv3x3_int8", false), await loaded.Content.ReadFromJsonAsync<LoadedDto>(ApiJson.Options));
        Assert.Equal(HttpStatusCode.OK, (await opsOnB.PostAsJsonAsync($"/v1/boards/pynq-z2-0/regions/{partition}/load", new LoadDto("conv5x5_int16"))).StatusCode);
        var regions = (await opsOnB.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions;
        Assert.Equal(["pynq-z2-0: conv5x5_int16", "pynq-z2-1: conv3x3_int8"], regions.Where(r => r.Partition == partition).Select(r => $"{r.Board}: {r.Module}"));

        var reset = await opsOnB.PostAsync($"/v1/boards/pynq-z2-1/regions/{partition}/reset", null);
        Assert.True(reset.StatusCode == HttpStatusCode.OK, await reset.Content.ReadAsStringAsync());
        Assert.Equal(("pynq-z2-1", "Loaded", "conv3x3_int8"), await reset.Content.ReadFromJsonAsync<RegionDto>(ApiJson.Options) is { } r ? (r.Board, r.Status, r.Module) : default);
        var upset = await opsOnA.PostAsync($"/v1/boards/pynq-z2-0/regions/{partition}/upset", JsonContent.Create(new UpsetDto(Correctable: true), options: ApiJson.Options));
        Assert.True(upset.StatusCode == HttpStatusCode.Accepted, await upset.Content.ReadAsStringAsync());
        Assert.Equal(("pynq-z2-0", partition, true), await upset.Content.ReadFromJsonAsync<InjectedUpsetDto>(ApiJson.Options) is { } u ? (u.Board, u.Partition, u.Correctable) : default);

        // Typed refusals: an unknown board, a board-less region command on a fleet node, an unknown partition.
        await AssertProblemAsync(await opsOnA.PostAsJsonAsync($"/v1/boards/pynq-z2-7/regions/{partition}/load", new LoadDto("conv3x3_int8")), HttpStatusCode.NotFound, "board", "no board 'pynq-z2-7' in the fleet; known: pynq-z2-0, pynq-z2-1");
        await AssertProblemAsync(await opsOnA.PostAsJsonAsync($"/v1/regions/{partition}/load", new LoadDto("conv3x3_int8")), HttpStatusCode.BadRequest, "board", "a fleet node serves 2 boards: name the board");
        await AssertProblemAsync(await opsOnA.PostAsync("/v1/boards/pynq-z2-0/regions/nowhere/reset", null), HttpStatusCode.NotFound, "partition", "no partition 'nowhere'");
        await AssertProblemAsync(await opsOnB.GetAsync("/v1/swaps?board=pynq-z2-7"), HttpStatusCode.NotFound, "board", "no board 'pynq-z2-7'");
        // GET /v1/board (one board's health) points at the fleet's boards; chaos names the board, as region commands do.
        await AssertProblemAsync(await opsOnA.GetAsync("/v1/board"), HttpStatusCode.BadRequest, "board", "a fleet node serves 2 boards, not one: GET /v1/boards");
        await AssertProblemAsync(await opsOnB.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(partition, Correctable: true, Board: "pynq-z2-7"), ApiJson.Options),
            HttpStatusCode.NotFound, "board", "no board 'pynq-z2-7' in the fleet; known: pynq-z2-0, pynq-z2-1");
        await AssertProblemAsync(await opsOnB.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(partition, Correctable: true), ApiJson.Options),
            HttpStatusCode.BadRequest, "board", "a fleet node serves 2 boards: name the board");
        await AssertProblemAsync(await opsOnB.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("fail"), ApiJson.Options), HttpStatusCode.Conflict, "board", "a fleet node's port faults");
        var struck = await opsOnB.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(partition, Correctable: true, Board: "pynq-z2-0"), ApiJson.Options);
        Assert.True(struck.StatusCode == HttpStatusCode.Accepted, await struck.Content.ReadAsStringAsync());
        Assert.Equal(("pynq-z2-0", partition, true), await struck.Content.ReadFromJsonAsync<ChaosUpsetInjectedDto>(ApiJson.Options) is { } c ? (c.Board, c.Target, c.Correctable) : default);

        // Every board's swaps through either node, each with its board; one board's alone on request.
        foreach (var ops in new[] { opsOnA, opsOnB })
        {
            var swaps = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps", ApiJson.Options))!.Swaps;
            Assert.Contains(swaps, s => (s.Board, s.Module, s.Outcome) == ("pynq-z2-1", "conv3x3_int8", "completed"));
            Assert.Contains(swaps, s => (s.Board, s.Module, s.Outcome) == ("pynq-z2-0", "conv5x5_int16", "completed"));
            var one = (await ops.GetFromJsonAsync<SwapPageDto>($"/v1/swaps?board=pynq-z2-1&partition={partition}", ApiJson.Options))!.Swaps;
            Assert.Equal([("pynq-z2-1", "conv3x3_int8")], one.Select(s => (s.Board!, s.Module)));
        }

        // Every board's series through either node, labelled with the board; each family once.
        foreach (var ops in new[] { opsOnA, opsOnB })
        {
            var text = await ops.GetStringAsync("/metrics");
            var lines = text.Split('\n');
            Assert.Single(lines, l => l.StartsWith("# TYPE dpr_swaps_total ", StringComparison.Ordinal));
            Assert.Contains(lines, l => Sample(l, "dpr_swaps_total", "board=\"pynq-z2-1\"", "module=\"conv3x3_int8\"", "outcome=\"completed\"") && l.EndsWith(" 1", StringComparison.Ordinal));
            Assert.Contains(lines, l => Sample(l, "dpr_partition_module", "board=\"pynq-z2-0\"", $"partition=\"{partition}\"", "module=\"conv5x5_int16\"") && l.EndsWith(" 1", StringComparison.Ordinal));
            Assert.Contains(lines, l => Sample(l, "dpr_upsets_total", "board=\"pynq-z2-0\"", "corrected=\"true\"") && l.EndsWith(" 2", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => Sample(l, "dpr_upsets_total", "board=\"pynq-z2-1\""));
            Assert.Single(lines, l => l.StartsWith("process_working_set_bytes ", StringComparison.Ordinal));
        }
    }

    [PostgresFact]
    public async Task A_fleet_nodes_event_stream_carries_the_events_of_the_boards_it_hosts_each_with_its_board()
    {
        await using var fleet = await TwoNodes.StartAsync();
        var (opsOnA, opsOnB) = (fleet.OpsOnA, fleet.OpsOnB);
        var onA = fleet.Boards.Single(x => x.Node.EndsWith($":{fleet.PortA}", StringComparison.Ordinal)).Board;
        var partition = (await opsOnA.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.First().Partition;

        // The stream of node A; the load goes through node B to the board A hosts.
        await using var stream = await EventStreamReader.OpenAsync(opsOnA);
        Assert.Equal("hello", (await stream.NextAsync())?.Type);
        var loaded = await opsOnB.PostAsJsonAsync($"/v1/boards/{onA}/regions/{partition}/load", new LoadDto("conv3x3_int8"));
        Assert.True(loaded.StatusCode == HttpStatusCode.OK, await loaded.Content.ReadAsStringAsync());
        var seen = await stream.UntilAsync((type, data) => type == "region" && data.GetProperty("kind").GetString() == "swap-completed");
        var completed = seen[^1];
        Assert.Equal((onA, partition, "conv3x3_int8", onA), (completed.Data.GetProperty("board").GetString(), completed.Data.GetProperty("partition").GetString(),
            completed.Data.GetProperty("module").GetString(), completed.Data.GetProperty("state").GetProperty("board").GetString()));
        Assert.Contains(seen, e => e.Type == "region" && e.Data.GetProperty("kind").GetString() == "swap-started" && e.Data.GetProperty("board").GetString() == onA);
        // A fleet board's events have no id: each board numbers its own journals, so no one cursor resumes them.
        Assert.Null(completed.Id);
    }

    private static bool Sample(string line, string name, params string[] labels) =>
        line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal));

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body}");
        Assert.Contains($"\"field\":\"{field}\"", body, StringComparison.Ordinal);
        Assert.Contains(detail, body, StringComparison.Ordinal);
    }

    /// <summary>PostgreSQL and two in-process nodes sharing two boards, one hosted by each; ops' clients of both.</summary>
    private sealed class TwoNodes(TemporaryPostgresCluster postgres, ApiServer a, ApiServer b, int portA) : IAsyncDisposable
    {
        public int PortA => portA;

        public HttpClient OpsOnA { get; } = a.Client("ops");

        public HttpClient OpsOnB { get; } = b.Client("ops");

        public IReadOnlyList<BoardDto> Boards { get; private set; } = [];

        public static async Task<TwoNodes> StartAsync()
        {
            var postgres = TemporaryPostgresCluster.Start();
            await JournalSchema.EnsureCreatedAsync(postgres.Journal, CancellationToken.None);
            var (portA, portB) = (ServeProcess.FreePort(), ServeProcess.FreePort());
            var a = await ApiServer.StartAsync(FleetServeTests.Node(postgres, portA, portA, boards: 2));
            var fleet = new TwoNodes(postgres, a, await ApiServer.StartAsync(FleetServeTests.Node(postgres, portB, portA, boards: 2)), portA);
            try
            {
                await Eventually.TrueAsync(async () => (fleet.Boards = (await FleetServeTests.BoardsAsync(fleet.OpsOnB)).Boards).Count == 2 && fleet.Boards.Select(x => x.Node).Distinct().Count() == 2,
                    "2 boards on 2 nodes", TimeSpan.FromMinutes(3));
                return fleet;
            }
            catch
            {
                await fleet.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            OpsOnA.Dispose();
            OpsOnB.Dispose();
            await b.DisposeAsync();
            await a.DisposeAsync();
            postgres.Dispose();
        }
    }
}
