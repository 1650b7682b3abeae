using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>SEM upsets, correctable or not, in a partition or the static design, and storms: reported, on record, and dealt with.</summary>
public sealed class SemFaultTests(ITestOutputHelper output) : DprTestKit(output: output)
{
    [Fact]
    public async Task A_correctable_upset_in_a_partition_is_on_record_and_the_module_stays()
    {
        await Board.LoadAsync("conv3x3_int8");

        await Faults.UpsetAsync(Board.DefaultPartition, correctable: true);

        Assert.Equal(1, (await Board.HealthAsync()).Upsets);
        await Eventually.TrueAsync(() => Node.JournalEvents(NodeJournal.Regions).Any(e => e.Payload is RegionEvents.UpsetDetected { Corrected: true }), "the upset on record", TimeSpan.FromSeconds(30));
        // Every upset is repaired by writing the module again (docs/sem.md): it holds the same module once that is done.
        await Eventually.TrueAsync(async () => await Board.ModuleInAsync() == "conv3x3_int8", "conv3x3_int8 in the partition after the repair", TimeSpan.FromSeconds(30));
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task An_uncorrectable_upset_in_a_partition_reloads_it_and_a_job_after_gets_the_reference_result()
    {
        await Board.LoadAsync("conv3x3_int8");

        await Faults.UpsetAsync(Board.DefaultPartition, correctable: false);
        var request = TestJobs.Sample("conv3x3_int8", seed: 9);
        var id = await Jobs.SubmitAcceptedAsync(request);

        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(id)).State);
        Assert.Equal(TestJobs.Reference(request), Jobs.Result(id));
        Assert.Contains(Node.JournalEvents(NodeJournal.Regions), e => e.Payload is RegionEvents.UpsetDetected { Corrected: false });
        Assert.True(Board.PortWrites.Count(w => w.Succeeded) >= 2, "the partition was not written again after the uncorrectable upset");
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task An_uncorrectable_upset_in_the_static_design_degrades_the_board()
    {
        await Faults.UpsetAsync(partition: null, correctable: false);

        var health = await Board.HealthAsync();

        Assert.False(health.Healthy);
        Assert.NotEmpty(health.Degraded);
    }

    [Fact]
    public async Task A_storm_of_upsets_is_reported_upset_by_upset_and_every_job_still_ends_once()
    {
        await Board.LoadAsync("conv5x5_int8");
        var before = await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv5x5_int8", seed: 1));
        await Jobs.AwaitEndAsync(before);

        var injected = await Faults.StormAsync(Board.DefaultPartition, upsets: 8);
        await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv5x5_int8", seed: 2));

        Assert.Equal(8, injected);
        Assert.Equal(8, (await Board.HealthAsync()).Upsets);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }
}
