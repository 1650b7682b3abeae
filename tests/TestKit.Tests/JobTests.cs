using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>The node started by the kit runs jobs as dpr serve does: the board, the job API and the invariants of a quiet run.</summary>
public sealed class JobTests(ITestOutputHelper output) : DprTestKit(output: output)
{
    [Fact]
    public async Task A_job_completes_with_the_reference_result_after_one_swap_on_record()
    {
        var request = TestJobs.Sample("conv3x3_int8", seed: 7);

        var id = await Jobs.SubmitAcceptedAsync(request);
        var status = await Jobs.AwaitEndAsync(id);

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(TestJobs.Reference(request), Jobs.Result(id));
        Assert.Equal("conv3x3_int8", await Board.ModuleInAsync());
        Assert.Equal([SwapStep.Started, SwapStep.Completed], Board.SwapHistory(Board.DefaultPartition).Select(s => s.Step));
        var report = await Node.CheckInvariantsAsync();
        Assert.True(report.Hold, report.ToString());
        Assert.Equal(1, report.Completed);
    }

    [Fact]
    public async Task A_queued_job_is_cancelled_and_ends_cancelled_exactly_once()
    {
        // A hang on the first write keeps the partition loading, so the second job waits in the queue.
        Faults.PortFailsNextWrite(Fabric.Ports.SimulatedFault.Hang);
        var first = await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv3x3_int8", seed: 1));
        var second = await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv5x5_int16", seed: 2));

        var outcome = await Jobs.CancelAsync(second);

        Assert.Equal(CancelOutcome.Cancelled, outcome);
        Assert.Equal(JobState.Cancelled, (await Jobs.AwaitEndAsync(second)).State);
        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(first)).State);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task An_operator_load_is_on_record_and_in_the_partition()
    {
        var answer = await Board.LoadAsync("conv5x5_int16");

        Assert.IsType<RegionReplies.Loaded>(answer);
        Assert.Equal("conv5x5_int16", await Board.ModuleInAsync());
        Assert.Equal("conv5x5_int16", Assert.Single(Board.SwapHistory(), s => s.Step == SwapStep.Completed).Module);
        Assert.Equal("conv5x5_int16", Assert.Single(Board.PortWrites).Image);
    }
}
