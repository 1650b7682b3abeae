namespace Dpr.Actors.Jobs;

/// <summary>Why a submission was not accepted.</summary>
public enum RejectionCode
{
    /// <summary>The request is wrong; <see cref="JobReplies.Rejected.Field"/> names the field.</summary>
    Invalid,

    /// <summary>The tenant has as many open jobs as its quota allows.</summary>
    TenantQuota,

    /// <summary>The board has as many open jobs as it holds.</summary>
    QueueFull,

    /// <summary>The job journal could not store the job.</summary>
    JournalUnavailable,
}
