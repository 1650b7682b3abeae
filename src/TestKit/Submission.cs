using Dpr.Actors.Jobs;

namespace Dpr.TestKit;

/// <summary>The answer to a submission: the job's id once it is on record, why it was rejected, or that none came.</summary>
/// <param name="Unanswered">
/// No answer within the ask timeout (as the service's 503): the job may or may not be on record; a look-up
/// later tells. The invariants allow as many jobs on record that no submitter was told of as there were such submissions.
/// </param>
public sealed record Submission(Guid? JobId, JobReplies.Rejected? Rejected, string? Unanswered = null)
{
    public bool Accepted => JobId is not null;

    public static Submission Of(Guid jobId) => new(jobId, null);

    public static Submission Of(JobReplies.Rejected rejected) => new(null, rejected);

    public static Submission NoAnswer(string why) => new(null, null, why);
}
