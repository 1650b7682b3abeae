using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// <c>GET /v1/board</c>, the SEM part of <c>/readyz</c> and the SEM metrics, end to end on the simulated
/// board, whose SEM controller is read and commanded over its register-level AXI UART Lite and whose
/// swaps take their turn through its register-level DEVCFG, as on a board.
/// </summary>
public class BoardHealthApiTests
{
    [Fact]
    public async Task A_swap_takes_its_turn_with_the_sem_controller_and_the_turn_is_on_record()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");
        var node = server.Services.GetRequiredService<DprNode>();

        Assert.Equal(HttpStatusCode.OK, (await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int16"), ApiJson.Options)).StatusCode);

        // The controller reports its return to observation after the turn, over its line.
        var board = await EventuallyAsync(ops, b => b.Sem.Status == "responding" && b.Sem.State == "Observation");
        Assert.Equal(("pynq-z2", false, "icap"), (board.Board, board.Degraded, board.ConfigurationEngine));
        Assert.Equal("AXI UART Lite at 0x42C00000", board.Sem.Link);
        Assert.Equal(("verified", "pynq-z2_static"), (board.StaticDesign!.Status, board.StaticDesign.Design));
        Assert.Equal("Observation", board.Sem.State);
        Assert.Equal(1, board.Turns!.Taken);
        Assert.Equal(0, board.Turns.Refused);
        Assert.Equal(("conv5x5_int16", "Observation", true, "written", (string?)null),
            (board.Turns.Last!.Image, board.Turns.Last.SemBefore, board.Turns.Last.Resumed, board.Turns.Last.Outcome, board.Turns.Last.Reason));
        // At register level: the PCAP was selected once and given back, never while the controller observed.
        Assert.Equal((1, 1, 0), (node.Simulated!.Devcfg.PcapSelections, node.Simulated.Devcfg.IcapSelections, node.Simulated.Devcfg.Collisions));
        var metrics = await server.Client(null).GetStringAsync("/metrics");
        Assert.Contains("dpr_sem_turns_total{outcome=\"written\"} 1", metrics);
        Assert.Contains("dpr_sem_turns_total{outcome=\"sem-not-idle\"} 0", metrics);
        Assert.Contains("dpr_sem_state{state=\"Observation\"} 1", metrics);
        Assert.Contains("dpr_sem_link{status=\"responding\"} 1", metrics);
        Assert.Contains("dpr_board_degraded 0", metrics);
    }

    [Fact]
    public async Task A_sem_controller_that_never_idles_fails_the_swap_with_the_reason_and_nothing_is_written()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");
        var node = server.Services.GetRequiredService<DprNode>();
        node.Simulated!.SemIgnoresIdle = true;

        await ApiTests.AssertProblem(await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int16"), ApiJson.Options), HttpStatusCode.Conflict, "state");

        var swaps = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps?partition=conv", ApiJson.Options))!.Swaps;
        var failed = swaps.Where(s => s.Outcome == "failed").ToList();
        Assert.Equal(3, failed.Count);
        Assert.All(failed, s => Assert.StartsWith("ConfigurationEngineBusy: the SEM controller did not report idle within 2000 ms", s.Failure));
        var region = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions.Single();
        Assert.Equal(("Faulted", (string?)null), (region.Status, region.Module));
        // Nothing reached the device and the PCAP was never selected: the partition is as it was.
        Assert.Null(node.Simulated.Device.ModuleIn(node.Board.Partition("conv")));
        Assert.Equal((0, false), (node.Simulated.Devcfg.PcapSelections, node.Simulated.Devcfg.PcapSelected));
        var board = (await ops.GetFromJsonAsync<BoardHealthDto>("/v1/board", ApiJson.Options))!;
        Assert.Equal((0L, 3L, "sem-not-idle"), (board.Turns!.Taken, board.Turns.Refused, board.Turns.Last!.Outcome));
        Assert.Contains("dpr_sem_turns_total{outcome=\"sem-not-idle\"} 3", await server.Client(null).GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task An_uncorrectable_upset_in_the_static_design_shows_as_degraded_in_board_readyz_and_metrics()
    {
        await using var server = await ApiServer.StartAsync();
        var ops = server.Client("ops");
        Assert.Equal(HttpStatusCode.OK, (await server.Client(null).GetAsync("/readyz")).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(Static: true, Correctable: false), ApiJson.Options)).StatusCode);

        var board = await EventuallyAsync(ops, b => b.Degraded);
        Assert.Equal(1, board.Sem.Upsets);
        Assert.Equal(new Dictionary<string, long> { ["static"] = 1 }, board.Sem.UpsetsByPartition);
        Assert.StartsWith("uncorrectable upset in ", board.Sem.LastUpset);
        Assert.EndsWith("in the static design", board.Sem.LastUpset);
        Assert.Contains("the static design needs a full reload", Assert.Single(board.DegradedReasons));
        Assert.Equal("Idle", board.Sem.State);

        var ready = await server.Client(null).GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("degraded").GetBoolean());
        Assert.Equal(1, body.GetProperty("sem").GetProperty("upsetsByPartition").GetProperty("static").GetInt64());
        Assert.Equal("Idle", body.GetProperty("sem").GetProperty("state").GetString());

        var metrics = await server.Client(null).GetStringAsync("/metrics");
        Assert.Contains("dpr_board_degraded 1", metrics);
        Assert.Contains("dpr_sem_upsets{partition=\"static\"} 1", metrics);
        Assert.Contains("dpr_sem_state{state=\"Idle\"} 1", metrics);
    }

    [Fact]
    public async Task A_silent_sem_controller_is_reported_as_silent_not_a_crash_and_the_board_answers()
    {
        await using var server = await ApiServer.StartAsync();
        var node = server.Services.GetRequiredService<DprNode>();
        node.Simulated!.SemSilent = true;

        // The next ping goes unanswered; asking now is the same as waiting for the ping. Asked again while
        // waiting: an answer to the last ping before the silence, read after this request was sent, counts
        // as its answer (the controller cannot tell which command bytes answer), so silence shows only at
        // the next unanswered request, up to a ping interval (30 s) later.
        var board = await EventuallyAsync(server.Client("ops"), b =>
        {
            if (b.Sem.Status == "silent")
            {
                return true;
            }
            node.Sem.RequestStatus();
            return false;
        }, TimeSpan.FromSeconds(20));

        Assert.Contains("no answer from AXI UART Lite at 0x42C00000", board.Sem.Reason);
        Assert.False(board.Degraded);
        Assert.Contains("dpr_sem_link{status=\"silent\"} 1", await server.Client(null).GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task On_a_board_whose_sem_serial_device_is_missing_the_service_runs_and_says_so()
    {
        // The pynq-z2 profile reads SEM on /dev/ttyPS1, which a build machine does not have.
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:Port"] = "fpga-manager" });

        var board = (await server.Client("ops").GetFromJsonAsync<BoardHealthDto>("/v1/board", ApiJson.Options))!;

        Assert.Equal(("serial /dev/ttyPS1 at 9600 baud", "missing", (string?)null), (board.Sem.Link, board.Sem.Status, board.Sem.State));
        Assert.Contains("the device does not exist", board.Sem.Reason);
        Assert.Equal(("fpga-manager", 0L, 0L), (board.Port, board.Turns!.Taken, board.Turns.Refused));
        // Ready (the readiness asks each actor within 2 s, which a loaded machine can miss once).
        await Eventually.TrueAsync(async () => (await server.Client(null).GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the service ready without its SEM line", TimeSpan.FromSeconds(30));
        Assert.Contains("dpr_sem_link{status=\"missing\"} 1", await server.Client(null).GetStringAsync("/metrics"));
    }

    private static async Task<BoardHealthDto> EventuallyAsync(HttpClient client, Func<BoardHealthDto, bool> done, TimeSpan? within = null)
    {
        BoardHealthDto board = null!;
        await Eventually.TrueAsync(
            async () => done(board = (await client.GetFromJsonAsync<BoardHealthDto>("/v1/board", ApiJson.Options))!),
            () => $"the board did not get there; last: {JsonSerializer.Serialize(board)}",
            within ?? TimeSpan.FromSeconds(10));
        return board;
    }
}
