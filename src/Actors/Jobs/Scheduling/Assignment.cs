namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>What an idle partition should do next, as decided by <see cref="JobScheduler.Next"/>.</summary>
public abstract record Assignment
{
    private Assignment()
    {
    }

    /// <summary>Run this job on the module the partition holds. The job is now running until
    /// <see cref="JobScheduler.Completed"/> or <see cref="JobScheduler.Requeue"/>.</summary>
    public sealed record Run(QueuedJob Job) : Assignment;

    /// <summary>Load this module into the partition (evicting <paramref name="Evicts"/>), then ask again.
    /// <paramref name="Prefetch"/>: ahead of need (<see cref="SchedulerOptions.Prefetch"/>); the evicted module has no queued job.</summary>
    public sealed record Load(string Module, string? Evicts, bool Prefetch = false) : Assignment;

    /// <summary>
    /// Jobs are queued but none should run here yet: grouping is cheaper, and no job is near its bound.
    /// Ask again at <paramref name="Until"/> (null: at the next submission or completion).
    /// </summary>
    public sealed record Hold(DateTimeOffset? Until) : Assignment;
}
