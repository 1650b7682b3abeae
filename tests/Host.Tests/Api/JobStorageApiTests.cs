using System.Net;
using System.Net.Http.Json;
using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.TestKit;

namespace Dpr.Host.Tests.Api;

/// <summary>Finished jobs answered from the job index, not the intake: look-ups, listings merged with open jobs, idempotency keys, a restart.</summary>
public class JobStorageApiTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static DprNode Node(ApiServer server) => (DprNode)server.Services.GetService(typeof(DprNode))!;

    private static async Task<ICollection<Guid>> HeldAsync(ApiServer server) =>
        (await Node(server).Intake.Ask<JobIntakeActor.Kept>(JobIntakeActor.GetKept.Instance, Timeout)).Jobs.Keys.ToList();

    private static async Task<bool> IntakeKnowsAsync(ApiServer server, Guid id) =>
        await Node(server).Intake.Ask<object>(new JobCommands.GetJob(id), Timeout) is JobReplies.JobStatus;

    private static async Task<List<JobDto>> ListAsync(HttpClient client, string query) =>
        (await client.GetFromJsonAsync<JobListDto>($"/v1/jobs{query}", ApiJson.Options))!.Jobs.ToList();

    [Fact]
    public async Task Finished_jobs_come_from_the_index_listed_with_open_ones_and_a_restart_holds_none_of_them()
    {
        var server = await ApiServer.StartAsync();
        try
        {
            var client = server.Client("alice");
            var finished = new List<Guid>();
            for (var i = 0; i < 3; i++)
            {
                var job = TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 40 + i).Job with { IdempotencyKey = $"finished-{i}" };
                var id = (await TestJobs.SubmitAsync(client, job)).Id;
                Assert.Equal("completed", (await TestJobs.WaitAsync(client, id)).State);
                finished.Add(id);
            }

            // Once the index has them, the intake lets go: a look-up is answered from storage.
            await Eventually.TrueAsync(async () => (await HeldAsync(server)).Count == 0, "the intake holds no finished job", Timeout);
            foreach (var id in finished)
            {
                Assert.False(await IntakeKnowsAsync(server, id));
                Assert.Equal("completed", (await client.GetFromJsonAsync<JobDto>($"/v1/jobs/{id}", ApiJson.Options))!.State);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/jobs/{id}/result")).StatusCode);
            }
            await ApiTests.AssertProblem(await server.Client("bob").GetAsync($"/v1/jobs/{finished[0]}"), HttpStatusCode.NotFound, "id");
            var again = await TestJobs.SubmitAsync(client, TestJobs.Make("conv3x3_int8", [1, 1, 6, 6], [1, 1, 3, 3], seed: 40).Job with { IdempotencyKey = "finished-0" });
            Assert.Equal((finished[0], true), (again.Id, again.Duplicate));

            // Every attempt of the next swap hangs (10 s each): jobs for another module stay queued meanwhile.
            Node(server).PortFaults!.OnNextWrite(Fabric.Ports.SimulatedFault.Hang).OnNextWrite(Fabric.Ports.SimulatedFault.Hang).OnNextWrite(Fabric.Ports.SimulatedFault.Hang);
            var open = new List<Guid>();
            for (var i = 0; i < 2; i++)
            {
                open.Add((await TestJobs.SubmitAsync(client, TestJobs.Make("conv5x5_int32", [1, 1, 8, 8], [1, 1, 5, 5], seed: 50 + i).Job)).Id);
            }

            Assert.Equal([open[1], open[0], finished[2], finished[1], finished[0]], (await ListAsync(client, "?limit=10")).Select(j => j.Id));
            Assert.Equal([open[1], open[0], finished[2]], (await ListAsync(client, "?limit=3")).Select(j => j.Id));
            Assert.Equal([finished[2], finished[1]], (await ListAsync(client, "?state=completed&limit=2")).Select(j => j.Id));
            Assert.Equal([open[1]], (await ListAsync(client, "?state=queued&limit=1")).Select(j => j.Id));
            Assert.Empty(await ListAsync(server.Client("bob"), ""));

            foreach (var id in open)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/v1/jobs/{id}")).StatusCode);
            }
            server = await server.RestartAsync();
            client = server.Client("alice");

            // After a restart the intake holds what is open (nothing): every job is answered from the index.
            await Eventually.TrueAsync(async () => (await HeldAsync(server)).Count == 0, "the intake holds no finished job after the restart", Timeout);
            foreach (var id in finished.Concat(open))
            {
                Assert.False(await IntakeKnowsAsync(server, id));
            }
            Assert.Equal("cancelled", (await client.GetFromJsonAsync<JobDto>($"/v1/jobs/{open[0]}", ApiJson.Options))!.State);
            var listed = await ListAsync(client, "");
            Assert.Equal([open[1], open[0], finished[2], finished[1], finished[0]], listed.Select(j => j.Id));
            Assert.Equal(["cancelled", "cancelled", "completed", "completed", "completed"], listed.Select(j => j.State));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
