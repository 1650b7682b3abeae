namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>Why a submission was refused.</summary>
public enum RefusalReason
{
    /// <summary>The global bound on queued jobs is reached.</summary>
    QueueFull,

    /// <summary>The tenant's quota of queued jobs is reached.</summary>
    TenantQuota,

    /// <summary>The queued work already fills the aging bound: accepting more would break the promise.</summary>
    Backlog,

    /// <summary>A job with the same id is already queued or running.</summary>
    Duplicate,
}
