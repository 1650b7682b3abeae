using Dpr.Actors.Jobs;
using Dpr.Fabric.Ports;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>Each kind of port fault, by write number, by module and at a seeded rate: the swap is retried, on record, and the job ends with the reference result.</summary>
public sealed class PortFaultTests(ITestOutputHelper output) : DprTestKit(output: output)
{
    [Fact]
    public async Task A_failed_write_by_number_is_on_record_and_retried()
    {
        Faults.PortFailsWrite(Faults.PortWrites + 1, SimulatedFault.Fail);
        var request = TestJobs.Sample("conv3x3_int8", seed: 3);

        var status = await Jobs.AwaitEndAsync(await Jobs.SubmitAcceptedAsync(request));

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal([false, true], Board.PortWrites.Select(w => w.Succeeded));
        Assert.Equal([SwapStep.Started, SwapStep.Failed, SwapStep.Started, SwapStep.Completed], Board.SwapHistory().Select(s => s.Step));
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task A_partial_write_of_one_module_leaves_the_region_unknown_until_it_is_written_again()
    {
        Faults.PortFailsModule("conv5x5_int16", SimulatedFault.PartialWrite);

        var status = await Jobs.AwaitEndAsync(await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv5x5_int16", seed: 4)));

        Assert.Equal(JobState.Completed, status.State);
        var failed = Assert.Single(Board.SwapHistory(), s => s.Step == SwapStep.Failed);
        Assert.True(((Actors.Regions.RegionEvents.SwapFailed)failed.Event).RegionStateUnknown);
        Assert.Equal("conv5x5_int16", await Board.ModuleInAsync());
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task A_corrupted_write_is_caught_by_the_device_check_and_the_job_still_gets_the_reference_result()
    {
        Faults.PortFailsNextWrite(SimulatedFault.Corrupt);
        var request = TestJobs.Sample("conv3x3_int16", seed: 5);

        var id = await Jobs.SubmitAcceptedAsync(request);

        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(id)).State);
        Assert.Equal(TestJobs.Reference(request), Jobs.Result(id));
        Assert.Contains("CRC", Board.PortWrites[0].Failure);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task A_hang_is_cut_off_by_the_swap_timeout_and_the_swap_retried()
    {
        Faults.PortFailsNextWrite(SimulatedFault.Hang);

        var status = await Jobs.AwaitEndAsync(await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv3x3_int32", seed: 6)));

        Assert.Equal(JobState.Completed, status.State);
        Assert.Contains("hang", Board.PortWrites[0].Failure);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }
}

/// <summary>Faults drawn at a seeded rate fail the same writes in every run with that seed.</summary>
public sealed class SeededPortFaultTests(ITestOutputHelper output)
    : DprTestKit(new DprTestKitOptions(PortFaultSeed: 11, PortFaultRate: 0.5), output)
{
    [Fact]
    public async Task Faults_at_a_seeded_rate_fail_some_writes_and_every_job_still_ends_once()
    {
        foreach (var (module, seed) in new[] { ("conv3x3_int8", 1), ("conv5x5_int8", 2), ("conv3x3_int16", 3), ("conv5x5_int32", 4) })
        {
            await Jobs.SubmitAcceptedAsync(TestJobs.Sample(module, seed));
        }

        var report = await Node.CheckInvariantsAsync();

        Assert.True(report.Hold, report.ToString());
        Assert.Contains(Board.PortWrites, w => !w.Succeeded);
    }
}

/// <summary>Virtual time: a hang of 30 s on the node's clock ends when the test moves the clock, not before.</summary>
public sealed class VirtualTimeTests(ITestOutputHelper output)
    : DprTestKit(new DprTestKitOptions(SwapTimeout: TimeSpan.FromHours(1)) { TimeStepWhileWaiting = TimeSpan.Zero }, output)
{
    [Fact]
    public async Task A_timed_hang_lasts_until_the_clock_is_advanced_past_it()
    {
        Faults.PortFailsNextWrite(SimulatedFault.Hang, hangFor: TimeSpan.FromSeconds(30));

        var answer = Board.LoadAsync("conv5x5_int8");
        ArmedTimer? hang = null;
        await Eventually.TrueAsync(() => (hang = Node.ArmedTimers.FirstOrDefault(t => t.Due == TimeSpan.FromSeconds(30))) is not null, "the port to arm its 30 s hang on the node's clock", TimeSpan.FromSeconds(30));
        Node.AdvanceTime(TimeSpan.FromSeconds(29));
        // The clock fires what is due inside AdvanceTime, so a hang that ended early would show here.
        Assert.False(hang!.Fired, "the hang's timer fired before its 30 s of virtual time had passed");
        Assert.False(Board.PortWrites.Single().Finished, "the write ended before its 30 s of virtual time had passed");

        Node.AdvanceTime(TimeSpan.FromSeconds(1));

        Assert.True(hang.Fired, "the hang's timer fired once the clock reached its 30 s");
        Assert.IsType<Actors.Regions.RegionReplies.Loaded>(await answer);
        Assert.True(Board.PortWrites[0].Succeeded);
    }
}
