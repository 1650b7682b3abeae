using Dpr.Actors.Jobs;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>The invariants fail when they should: a job a submitter was told of that the node never recorded, a job it recorded that nobody was told of.</summary>
public sealed class InvariantTests(ITestOutputHelper output) : DprTestKit(new DprTestKitOptions { Patience = TimeSpan.FromSeconds(5) }, output)
{
    [Fact]
    public async Task A_job_a_client_claims_was_accepted_but_the_node_never_recorded_is_a_violation()
    {
        var phantom = Guid.NewGuid();
        var claimed = new Dictionary<Guid, JobRequest> { [phantom] = TestJobs.Sample("conv3x3_int8") };

        var report = await Node.CheckInvariantsAsync(accepted: claimed);

        Assert.False(report.Hold);
        Assert.Contains(report.Violations, v => v.Contains(phantom.ToString()) && v.Contains("0 JobAccepted"));
        Assert.Throws<InvariantViolationException>(report.AssertHold);
    }

    [Fact]
    public async Task A_job_on_record_that_no_submitter_was_told_of_is_a_violation()
    {
        var id = await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv3x3_int8"));
        await Jobs.AwaitEndAsync(id);

        var report = await Node.CheckInvariantsAsync(accepted: new Dictionary<Guid, JobRequest>());

        Assert.Contains(report.Violations, v => v.Contains($"job {id} is on record as accepted but no submitter was told so"));
    }

    [Fact]
    public async Task A_quiet_run_stays_within_the_journal_bound()
    {
        for (var i = 0; i < 4; i++)
        {
            await Jobs.SubmitAcceptedAsync(TestJobs.Sample(i % 2 == 0 ? "conv3x3_int8" : "conv5x5_int8", i));
        }

        var report = await Node.CheckInvariantsAsync();

        Assert.True(report.Hold, report.ToString());
        Assert.InRange(report.JournalEvents, 4 * 3, report.JournalBound);
    }
}
