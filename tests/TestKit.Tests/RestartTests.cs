using Dpr.Actors.Jobs;
using Dpr.Fabric.Ports;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>A crash with a backlog, and a graceful restart, over the same journals: every accepted job still ends exactly once.</summary>
public sealed class RestartTests(ITestOutputHelper output) : DprTestKit(output: output)
{
    [Fact]
    public async Task A_crash_with_a_backlog_loses_no_job_and_runs_none_twice_on_record()
    {
        // The first write hangs (until the swap timeout), so the jobs are still open when the node dies.
        Faults.PortFailsNextWrite(SimulatedFault.Hang);
        var jobs = new List<Guid>();
        foreach (var (module, seed) in new[] { ("conv3x3_int8", 1), ("conv5x5_int16", 2), ("conv3x3_int8", 3) })
        {
            jobs.Add(await Jobs.SubmitAcceptedAsync(TestJobs.Sample(module, seed)));
        }

        await Node.RestartAsync();

        Assert.Equal(2, Node.Lifetimes);
        Assert.All((await Jobs.AwaitAllAsync(jobs)).Values, s => Assert.Equal(JobState.Completed, s.State));
        var report = await Node.CheckInvariantsAsync();
        Assert.True(report.Hold, report.ToString());
        Assert.Equal(3, report.Completed);
    }

    [Fact]
    public async Task A_graceful_restart_keeps_what_the_partition_holds_on_record()
    {
        await Jobs.AwaitEndAsync(await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv5x5_int8", seed: 1)));

        await Node.RestartAsync(graceful: true);

        Assert.Equal("conv5x5_int8", await Board.ModuleInAsync());
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task A_job_queued_at_a_graceful_restart_runs_after_it()
    {
        // The drain stores a snapshot holding the queued job and deletes the events it covers: the job lives on in the snapshot.
        var id = await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv3x3_int8", seed: 5));

        await Node.RestartAsync(graceful: true);

        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(id)).State);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }
}
