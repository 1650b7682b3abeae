using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Jobs and the board time they ask for (<see cref="RunTimeEstimator.BoardTime"/>, the model's estimate of
/// each): a tenant's open jobs as the intake's quotas count them, a module's queued jobs as fleet placement weighs them.
/// </summary>
public readonly record struct TenantLoad(int Jobs, TimeSpan Work)
{
    /// <summary>One open job of <paramref name="request"/>.</summary>
    public static TenantLoad Of(JobRequest? request) => new(1, RunTimeEstimator.BoardTime(request));

    public static TenantLoad operator +(TenantLoad a, TenantLoad b) => new(a.Jobs + b.Jobs, a.Work + b.Work);

    public static TenantLoad operator -(TenantLoad a, TenantLoad b) => new(a.Jobs - b.Jobs, a.Work - b.Work);
}
