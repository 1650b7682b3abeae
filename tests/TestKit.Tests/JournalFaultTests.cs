using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>Journal refusals and outages (the persistence TestKit's journals): nothing is acknowledged that is not stored, and the node comes back.</summary>
public sealed class JournalFaultTests(ITestOutputHelper output) : DprTestKit(output: output)
{
    [Fact]
    public async Task A_refused_acceptance_is_a_rejection_and_the_next_submission_is_accepted()
    {
        Faults.RefuseJournalWrites(NodeJournal.Jobs);

        var refused = await Jobs.SubmitAsync(TestJobs.Sample("conv3x3_int8", seed: 1));
        Submission? next = null;
        await Eventually.TrueAsync(async () => (next = await Jobs.SubmitAsync(TestJobs.Sample("conv3x3_int8", seed: 2))).Accepted, "a submission to be accepted after the refusal", TimeSpan.FromSeconds(30));

        Assert.False(refused.Accepted);
        Assert.Equal(RejectionCode.JournalUnavailable, refused.Rejected!.Code);
        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(next!.JobId!.Value)).State);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task A_write_refused_while_a_job_is_open_stops_the_intake_and_the_job_still_ends_once()
    {
        var id = await Jobs.SubmitAcceptedAsync(TestJobs.Sample("conv3x3_int32", seed: 3));

        Faults.RefuseJournalWrites(NodeJournal.Jobs);

        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(id)).State);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task During_a_jobs_journal_outage_nothing_is_accepted_and_after_it_jobs_run()
    {
        Faults.StartJournalOutage(NodeJournal.Jobs);

        var during = await Jobs.SubmitAsync(TestJobs.Sample("conv3x3_int8", seed: 1));
        Faults.EndJournalOutage(NodeJournal.Jobs);
        Submission? after = null;
        await Eventually.TrueAsync(async () => (after = await Jobs.SubmitAsync(TestJobs.Sample("conv3x3_int8", seed: 2))).Accepted, "a submission to be accepted after the outage", TimeSpan.FromSeconds(30));

        Assert.Equal(RejectionCode.JournalUnavailable, during.Rejected?.Code);
        Assert.Equal(JobState.Completed, (await Jobs.AwaitEndAsync(after!.JobId!.Value)).State);
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    [Fact]
    public async Task During_a_regions_journal_outage_no_swap_happens_off_the_record()
    {
        Faults.StartJournalOutage(NodeJournal.Regions);

        var during = Board.LoadAsync("conv5x5_int16");
        await Eventually.TrueAsync(() => Faults.JournalWritesFailedInOutage(NodeJournal.Regions) > 0, "the outage to fail the region manager's write", TimeSpan.FromSeconds(30));
        Faults.EndJournalOutage(NodeJournal.Regions);
        object? loaded = null;
        await Eventually.TrueAsync(async () => (loaded = await AnswerOrNullAsync(Board.LoadAsync("conv5x5_int16"))) is RegionReplies.Loaded, () => $"a load to succeed after the outage (last answer {loaded})", TimeSpan.FromSeconds(60));

        Assert.IsNotType<RegionReplies.Loaded>(await AnswerOrNullAsync(during));
        Assert.Equal("conv5x5_int16", await Board.ModuleInAsync());
        (await Node.CheckInvariantsAsync()).AssertHold();
    }

    /// <summary>An operator's answer, or null when none came (the region manager was coming back from its journal).</summary>
    private static async Task<object?> AnswerOrNullAsync(Task<object> load)
    {
        try
        {
            return await load;
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return null;
        }
    }
}
