namespace Dpr.Actors.Jobs;

/// <summary>Where a job is in its life. On the wire (HTTP, snapshots) it is the lower-case name.</summary>
public enum JobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}
