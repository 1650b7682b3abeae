using System.Net;
using System.Net.Http.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// The service end to end with each configuration port over its simulation: <c>simulated</c> (the
/// modelled PCAP), <c>simulated-overlay</c> (the overlay port's own code over the simulated configfs)
/// and <c>simulated-hwicap</c> (the HWICAP port's own code over the register-level core). Jobs of two
/// modules force swaps; what each port left behind is checked where it lives.
/// </summary>
public class PortsServeTests
{
    [Theory]
    [InlineData("simulated", "simulated")]
    [InlineData("simulated-overlay", "overlay")]
    [InlineData("simulated-hwicap", "hwicap")]
    public async Task Jobs_of_two_modules_complete_with_the_reference_result_through_each_port(string port, string portName)
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:Port"] = port, ["Dpr:RealTime"] = "false" });
        var node = server.Services.GetRequiredService<DprNode>();
        var alice = server.Client("alice");

        foreach (var (module, seed) in new[] { ("conv3x3_int8", 1), ("conv5x5_int16", 2), ("conv3x3_int8", 3) })
        {
            var (job, expected) = TestJobs.Make(module, [1, 2, 8, 8], [2, 2, module.StartsWith("conv3x3", StringComparison.Ordinal) ? 3 : 5, module.StartsWith("conv3x3", StringComparison.Ordinal) ? 3 : 5], seed);
            var submitted = await TestJobs.SubmitAsync(alice, job);
            var done = await TestJobs.WaitAsync(alice, submitted.Id);
            Assert.Equal("completed", done.State);
            var result = (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{submitted.Id}/result", ApiJson.Options))!;
            Assert.Equal(Convert.ToBase64String(expected), result.Data);
        }

        Assert.Equal(portName, node.Port.Name);
        var swaps = (await server.Client("ops").GetFromJsonAsync<SwapPageDto>("/v1/swaps?partition=conv&limit=100", ApiJson.Options))!.Swaps;
        Assert.True(swaps.Count(s => s.Outcome == "completed") >= 3, $"expected three completed swaps, found {string.Join(", ", swaps.Select(s => $"{s.Module} {s.Outcome}"))}");
        Assert.DoesNotContain(swaps, s => s.Outcome == "failed");
        var board = node.Simulated!;
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(node.Board.Partition("conv")));
        switch (portName)
        {
            case "overlay":
                Assert.Equal(new Dictionary<string, string> { ["dpr-fpga-full.pr-conv"] = "applied" }, board.Configfs.Items);
                Assert.True(board.Configfs.Applies >= 3);
                break;
            case "hwicap":
                Assert.True(board.Hwicap!.Committed >= 3);
                Assert.Equal(0, board.Hwicap.Overflows);
                Assert.Equal(0, board.Hwicap.Aborts);
                break;
        }
    }

    [Theory]
    [InlineData("simulated", "WriteFailed: simulated failure")]
    [InlineData("simulated-overlay", "WriteFailed: loading conv5x5_int16.bin into fpga-region /fpga-full/pr-conv")]
    [InlineData("simulated-hwicap", "WriteFailed: writing conv5x5_int16 through the AXI HWICAP")]
    public async Task A_write_that_fails_part_way_is_on_record_with_the_ports_words_and_the_retry_completes(string port, string failure)
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:Port"] = port, ["Dpr:RealTime"] = "false" });
        var ops = server.Client("ops");
        Assert.Equal(HttpStatusCode.Accepted, (await ops.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto("partial"), ApiJson.Options)).StatusCode);

        var load = await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int16"), ApiJson.Options);

        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        var swaps = (await ops.GetFromJsonAsync<SwapPageDto>("/v1/swaps?partition=conv", ApiJson.Options))!.Swaps;
        Assert.Contains(swaps, s => s is { Module: "conv5x5_int16", Outcome: "failed", Attempt: 1 } && s.Failure!.StartsWith(failure, StringComparison.Ordinal));
        Assert.Contains(swaps, s => s is { Module: "conv5x5_int16", Outcome: "completed", Attempt: 2 });
        Assert.Equal("conv5x5_int16", server.Services.GetRequiredService<DprNode>().Simulated!.Device.ModuleIn(server.Services.GetRequiredService<DprNode>().Board.Partition("conv")));
    }

    [Theory]
    [InlineData("overlay", "Dpr:Port: the overlay port cannot be used")]
    [InlineData("simulated-hwicap", "board 'pynq-z2-composable' has no AXI HWICAP")]
    [InlineData("simulated-overlay", "the simulated-overlay port needs the fpga-region of the board")]
    [InlineData("pcap", "expected simulated, simulated-overlay, simulated-hwicap, fpga-manager, overlay, hwicap, found 'pcap'")]
    public void A_port_that_cannot_be_used_stops_the_start_naming_the_setting(string port, string problem)
    {
        var board = port == "overlay" ? "pynq-z2" : "pynq-z2-composable";
        var data = Path.Combine(Path.GetTempPath(), $"dpr-ports-{Guid.NewGuid():N}");
        try
        {
            // On this machine there is no configfs: the real overlay port fails at start, not at the first swap.
            var e = Assert.Throws<ServiceOptionsException>(() => DprService.Build(new Dictionary<string, string?> { ["Dpr:Port"] = port, ["Dpr:Board"] = board, ["Dpr:Data"] = data }));

            Assert.Contains(e.Problems, p => p.StartsWith("Dpr:Port: ", StringComparison.Ordinal) && p.Contains(problem, StringComparison.Ordinal));
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
