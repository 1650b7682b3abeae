using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Dashboard;
using Dpr.Host.Tests.Api;

namespace Dpr.Host.Tests.Dashboard;

/// <summary><c>GET /v1/events</c> over HTTP: who sees what, tickets, revocation, and resuming after a restart.</summary>
public sealed class EventStreamTests
{
    private static bool IsJob(string type, JsonElement data, Guid id, string state) =>
        type == "job" && data.GetProperty("id").GetGuid() == id && data.GetProperty("state").GetString() == state;

    [Fact]
    public async Task A_tenant_sees_its_own_jobs_and_the_board_and_an_admin_sees_every_job()
    {
        await using var server = await ApiServer.StartAsync();
        await using var alice = await EventStreamReader.OpenAsync(server.Client("alice"));
        await using var bob = await EventStreamReader.OpenAsync(server.Client("bob"));
        await using var ops = await EventStreamReader.OpenAsync(server.Client("ops"));
        foreach (var stream in new[] { alice, bob, ops })
        {
            var hello = await stream.NextAsync();
            Assert.Equal("hello", hello!.Value.Type);
            Assert.Equal("pynq-z2", hello.Value.Data.GetProperty("board").GetString());
        }

        var aliceJob = (await TestJobs.SubmitAsync(server.Client("alice"), TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 1).Job)).Id;
        var aliceSaw = await alice.UntilAsync((t, d) => IsJob(t, d, aliceJob, "completed"));
        Assert.Contains(aliceSaw, e => IsJob(e.Type, e.Data, aliceJob, "queued"));
        Assert.Contains(aliceSaw, e => IsJob(e.Type, e.Data, aliceJob, "running"));
        // The board is everyone's: the swap the job caused.
        Assert.Contains(aliceSaw, e => e.Type == "region" && e.Data.GetProperty("kind").GetString() == "swap-completed");
        await ops.UntilAsync((t, d) => IsJob(t, d, aliceJob, "completed"));

        var bobJob = (await TestJobs.SubmitAsync(server.Client("bob"), TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 2).Job)).Id;
        // Everything is sent in the order it was stored: had bob been sent alice's job, it would come before his own.
        var bobSaw = await bob.UntilAsync((t, d) => IsJob(t, d, bobJob, "completed"));
        Assert.Contains(bobSaw, e => e.Type == "region" && e.Data.GetProperty("kind").GetString() == "swap-completed");
        Assert.All(bobSaw.Where(e => e.Type == "job"), e => Assert.Equal("bob", e.Data.GetProperty("tenant").GetString()));
        Assert.DoesNotContain(bobSaw, e => e.Type == "job" && e.Data.GetProperty("id").GetGuid() == aliceJob);
        Assert.Contains(await ops.UntilAsync((t, d) => IsJob(t, d, bobJob, "completed")), e => IsJob(e.Type, e.Data, bobJob, "queued"));
    }

    [Fact]
    public async Task A_ticket_opens_one_stream_and_nothing_else_does()
    {
        await using var server = await ApiServer.StartAsync();
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/v1/events/tickets", null)).StatusCode);

        var ticket = (await (await server.Client("alice").PostAsync("/v1/events/tickets", null)).Content.ReadFromJsonAsync<EventTicketDto>(ApiJson.Options))!;
        Assert.Equal(30, ticket.ExpiresInSeconds);
        await using (var stream = await EventStreamReader.OpenAsync(anonymous, $"/v1/events?ticket={ticket.Ticket}"))
        {
            var hello = await stream.NextAsync();
            Assert.Equal("alice", hello!.Value.Data.GetProperty("tenant").GetString());
            Assert.False(hello.Value.Data.GetProperty("admin").GetBoolean());
        }
        var again = await anonymous.GetAsync($"/v1/events?ticket={ticket.Ticket}");
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("unknown, used or expired ticket", await again.Content.ReadAsStringAsync());

        using var badId = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        badId.Headers.Add("Last-Event-ID", "region/conv:-1");
        var refused = await server.Client("alice").SendAsync(badId);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Last-Event-ID", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_revoked_key_ends_its_stream()
    {
        await using var server = await ApiServer.StartAsync();
        await using var alice = await EventStreamReader.OpenAsync(server.Client("alice"));
        Assert.Equal("hello", (await alice.NextAsync())!.Value.Type);
        Assert.True((await server.Client("ops").DeleteAsync("/v1/tenants/alice/keys")).IsSuccessStatusCode);

        var seen = await alice.UntilAsync((t, _) => t == "signed-out");
        Assert.Equal("the key was revoked", seen[^1].Data.GetProperty("reason").GetString());
        Assert.Null(await alice.NextAsync());
    }

    [Fact]
    public async Task A_stream_resumes_from_its_last_id_after_a_restart_without_repeating_anything()
    {
        var server = await ApiServer.StartAsync();
        try
        {
            string lastId;
            long before;
            await using (var ops = await EventStreamReader.OpenAsync(server.Client("ops")))
            {
                await ops.NextAsync();
                await LoadAsync(server, "conv3x3_int8");
                var saw = await ops.UntilAsync((t, d) => t == "region" && d.GetProperty("kind").GetString() == "swap-completed");
                lastId = ops.LastId!;
                before = saw[^1].Data.GetProperty("sequence").GetInt64();
            }
            server = await server.RestartAsync();
            // Stored while nobody watched: read back from the journal on the resume.
            await LoadAsync(server, "conv5x5_int16");

            await using var resumed = await EventStreamReader.OpenAsync(server.Client("ops"), lastEventId: lastId);
            var hello = (await resumed.NextAsync())!.Value;
            Assert.Equal("hello", hello.Type);
            Assert.True(hello.Data.GetProperty("resumed").GetBoolean());
            Assert.False(hello.Data.TryGetProperty("gap", out _));
            // The restarted service may first reload conv3x3_int8 (the fresh board lost it): a swap of its own, sent too.
            var missed = await resumed.UntilAsync((t, d) => t == "region" && d.GetProperty("kind").GetString() == "swap-completed" && d.GetProperty("module").GetString() == "conv5x5_int16");
            var regionEvents = missed.Where(e => e.Type == "region").ToList();
            Assert.Equal(["swap-started", "swap-completed"], regionEvents.Select(e => e.Data.GetProperty("kind").GetString()).ToList().TakeLast(2));
            Assert.All(regionEvents, e => Assert.True(e.Data.GetProperty("sequence").GetInt64() > before));
            var sequences = regionEvents.Select(e => e.Data.GetProperty("sequence").GetInt64()).ToList();
            Assert.Equal(sequences.Order(), sequences);
            Assert.Equal(sequences.Count, sequences.Distinct().Count());
            Assert.Equal($"region/conv:{regionEvents[^1].Data.GetProperty("sequence").GetInt64()}", resumed.LastId!.Split(',').Single(p => p.StartsWith("region/", StringComparison.Ordinal)));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task LoadAsync(ApiServer server, string module)
    {
        var response = await server.Client("ops").PostAsJsonAsync("/v1/regions/conv/load", new { module });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
