namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// A job as the scheduler sees it. <paramref name="EnqueuedAt"/> is the time of acceptance and never
/// changes, not even when a swap or a crash hands the job back, so the aging bound counts from it.
/// </summary>
/// <param name="Priority">Higher runs first among the same tenant's jobs for the same module.</param>
/// <param name="Deadline">A start-by time tighter than the aging bound, if the tenant has one.</param>
/// <param name="EstimatedRun">Module time the job needs; the scheduler's unit of fairness and backlog.
/// Zero means unknown and is charged as <see cref="SchedulerOptions.DefaultEstimatedRun"/>.</param>
/// <param name="CpuFallbackAllowed">The tenant accepts (or asks for) the CPU kernel instead of the fabric.</param>
public sealed record QueuedJob(
    JobId Id,
    string Tenant,
    string Module,
    DateTimeOffset EnqueuedAt,
    int Priority = 0,
    DateTimeOffset? Deadline = null,
    TimeSpan EstimatedRun = default,
    bool CpuFallbackAllowed = false);
