namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>What <see cref="JobScheduler.Cancel"/> did.</summary>
public enum CancelOutcome
{
    /// <summary>The job was queued and is removed; it will never be handed out.</summary>
    Cancelled,

    /// <summary>The job is running: the caller stops it at a safe point or lets it complete.</summary>
    Running,

    /// <summary>The scheduler does not know the job (never admitted, completed, or already cancelled).</summary>
    Unknown,
}
