using Dpr.Actors.Jobs;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>A tenant's listing from the intake's open jobs and the index's finished ones.</summary>
public class JobListingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static JobReplies.JobStatus Job(int acceptedSecond, JobState state) =>
        new(Guid.NewGuid(), "t1", "conv3x3_int8", state, null, null, T0.AddSeconds(acceptedSecond));

    [Fact]
    public void Open_and_finished_jobs_are_listed_newest_first_each_once_up_to_the_limit()
    {
        var (open1, open5) = (Job(1, JobState.Queued), Job(5, JobState.Running));
        var (done2, done4, done6) = (Job(2, JobState.Completed), Job(4, JobState.Failed), Job(6, JobState.Cancelled));
        // It finished between the two look-ups: the intake saw it running, the index has its outcome.
        var moving = Job(3, JobState.Running);
        var moved = moving with { State = JobState.Completed };

        var all = JobListing.Merge([open5, moving, open1], [done6, done4, moved, done2], 10);

        Assert.Equal([done6, open5, done4, moved, done2, open1], all);
        Assert.Equal([done6, open5, done4], JobListing.Merge([open5, moving, open1], [done6, done4, moved, done2], 3));
        Assert.Empty(JobListing.Merge([], [], 10));
    }
}
