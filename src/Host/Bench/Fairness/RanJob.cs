using Dpr.Host.Api;

namespace Dpr.Host.Bench.Fairness;

/// <summary>A planned job as the service recorded it: accepted, started and finished (wall clock, the intake's stamps).</summary>
internal sealed record RanJob(PlannedJob Plan, JobDto Job)
{
    public DateTimeOffset AcceptedAt => Job.AcceptedAt!.Value;

    public DateTimeOffset StartedAt => Job.StartedAt!.Value;

    public DateTimeOffset FinishedAt => Job.FinishedAt!.Value;

    public double WaitMs => Job.WaitMs!.Value;

    /// <summary>From its start on record to its completion on record: the module's run, the result's store and two journal writes.</summary>
    public TimeSpan RunTime => FinishedAt - StartedAt;
}
