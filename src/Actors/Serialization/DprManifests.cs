using Dpr.Actors.Audit;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;

namespace Dpr.Actors.Serialization;

/// <summary>
/// The manifest of every serializable type: "kebab-name.vN". A new version of a type gets a new
/// manifest and the old one stays readable; a test checks every <see cref="IDprMessage"/> is here.
/// </summary>
public static class DprManifests
{
    public static IReadOnlyDictionary<Type, string> All { get; } = new Dictionary<Type, string>
    {
        [typeof(RegionEvents.SwapStarted)] = "swap-started.v1",
        [typeof(RegionEvents.SwapCompleted)] = "swap-completed.v1",
        [typeof(RegionEvents.SwapFailed)] = "swap-failed.v1",
        [typeof(RegionEvents.UpsetDetected)] = "upset-detected.v1",
        [typeof(RegionEvents.RegionFaulted)] = "region-faulted.v1",
        [typeof(RegionEvents.RegionReset)] = "region-reset.v1",
        [typeof(RegionEvents.RegionInvalidated)] = "region-invalidated.v1",
        [typeof(RegionState)] = "region-state.v1",
        [typeof(RegionCommands.Load)] = "region-load.v1",
        [typeof(RegionCommands.Reset)] = "region-reset-cmd.v1",
        [typeof(RegionCommands.ReportUpset)] = "region-report-upset.v1",
        [typeof(RegionCommands.Invalidate)] = "region-invalidate.v1",
        [typeof(RegionCommands.Hold)] = "region-hold.v1",
        [typeof(RegionCommands.Release)] = "region-release.v1",
        [typeof(RegionCommands.GetState)] = "region-get-state.v1",
        [typeof(RegionReplies.Loaded)] = "region-loaded.v1",
        [typeof(RegionReplies.LoadFailed)] = "region-load-failed.v1",
        [typeof(RegionReplies.State)] = "region-state-reply.v1",
        [typeof(JobRequest)] = "job-request.v1",
        [typeof(JobEvents.JobAccepted)] = "job-accepted.v1",
        [typeof(JobEvents.JobStarted)] = "job-started.v1",
        [typeof(JobEvents.JobCompleted)] = "job-completed.v1",
        [typeof(JobEvents.JobFailed)] = "job-failed.v1",
        [typeof(JobEvents.JobCancelled)] = "job-cancelled.v1",
        [typeof(JobCommands.Submit)] = "job-submit.v1",
        [typeof(JobCommands.GetJob)] = "job-get.v1",
        [typeof(JobCommands.ListJobs)] = "job-list.v1",
        [typeof(IntakeSnapshot)] = "job-intake-snapshot.v1",
        [typeof(IntakeSnapshot.Job)] = "job-intake-snapshot-job.v1",
        [typeof(JobCommands.GetQueueDepths)] = "job-get-queue-depths.v1",
        [typeof(JobReplies.JobList)] = "job-list-reply.v1",
        [typeof(JobReplies.QueueDepths)] = "job-queue-depths.v1",
        [typeof(JobCommands.RecordStarted)] = "job-record-started.v1",
        [typeof(JobCommands.RecordCompleted)] = "job-record-completed.v1",
        [typeof(JobCommands.RecordFailed)] = "job-record-failed.v1",
        [typeof(JobCommands.RecordCancelled)] = "job-record-cancelled.v1",
        [typeof(JobReplies.Accepted)] = "job-accepted-reply.v1",
        [typeof(JobReplies.Rejected)] = "job-rejected.v1",
        [typeof(JobReplies.JobStatus)] = "job-status.v1",
        [typeof(JobReplies.NotFound)] = "job-not-found.v1",
        [typeof(JobCommands.FindKey)] = "job-find-key.v1",
        [typeof(JobReplies.KeyHeld)] = "job-key-held.v1",
        [typeof(AuditEvents.ActionRecorded)] = "audit-action-recorded.v1",
        [typeof(AuditCommands.Record)] = "audit-record.v1",
        [typeof(AuditCommands.GetHighest)] = "audit-get-highest.v1",
        [typeof(AuditReplies.Recorded)] = "audit-recorded.v1",
        [typeof(AuditReplies.Highest)] = "audit-highest.v1",
        [typeof(BoardCommands.Submit)] = "board-submit.v1",
        [typeof(BoardCommands.GetLoad)] = "board-get-load.v1",
        [typeof(BoardCommands.GetJob)] = "board-get-job.v1",
        [typeof(BoardCommands.ListJobs)] = "board-list-jobs.v1",
        [typeof(BoardCommands.GetRegions)] = "board-get-regions.v1",
        [typeof(BoardCommands.FindKey)] = "board-find-key.v1",
        [typeof(BoardReplies.Regions)] = "board-regions.v1",
        [typeof(BoardReplies.Load)] = "board-load.v1",
        [typeof(BoardCommands.LoadRegion)] = "board-load-region.v1",
        [typeof(BoardCommands.ResetRegion)] = "board-reset-region.v1",
        [typeof(BoardCommands.StrikeRegion)] = "board-strike-region.v1",
        [typeof(BoardCommands.GetMetrics)] = "board-get-metrics.v1",
        [typeof(BoardReplies.Refused)] = "board-refused.v1",
        [typeof(BoardReplies.Struck)] = "board-struck.v1",
        [typeof(BoardReplies.Metrics)] = "board-metrics.v1",
        [typeof(TenantCommands.Submit)] = "tenant-submit.v1",
    };
}
