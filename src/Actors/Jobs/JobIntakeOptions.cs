using System.Globalization;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Jobs;

/// <param name="BatchSize">Submissions persisted together at most (one journal round trip).</param>
/// <param name="MaxOpenJobs">Accepted jobs not yet finished, over all tenants; past it submissions are refused (bounded memory).</param>
/// <param name="MaxOpenJobsPerTenant">The same, per tenant.</param>
/// <param name="MaxOpenWorkPerTenant">
/// The board time a tenant's open jobs may ask for together, as the model estimates each
/// (<see cref="Scheduling.RunTimeEstimator.BoardTime"/>); past it its submissions are refused, unless it has
/// no open job (a single job larger than the quota is accepted on its own). Ten minutes by default.
/// </param>
/// <param name="RetryAfter">What a refusal for a full queue tells the tenant to wait.</param>
/// <param name="SnapshotEvery">Events between snapshots of the intake's state at least (and at least as many as the jobs it holds); a restart replays only what came after the last.</param>
public sealed record JobIntakeOptions(
    int BatchSize = 512,
    int MaxOpenJobs = 100_000,
    int MaxOpenJobsPerTenant = 10_000,
    TimeSpan? RetryAfter = null,
    ConvLimits? Limits = null,
    int SnapshotEvery = 10_000,
    TimeSpan? MaxOpenWorkPerTenant = null)
{
    public TimeSpan WorkQuota => MaxOpenWorkPerTenant ?? TimeSpan.FromMinutes(10);

    public TimeSpan Backoff => RetryAfter ?? TimeSpan.FromSeconds(1);

    /// <summary>
    /// The refusal of <paramref name="job"/> when <paramref name="tenant"/>'s <paramref name="open"/> jobs hold its
    /// quota of jobs or board time (one board's intake counts its own, a fleet's intake those of every board); null when it fits.
    /// </summary>
    /// <param name="where">Where the jobs are counted, for the message: "the board", "the fleet".</param>
    public JobReplies.Rejected? QuotaRefusal(string tenant, TenantLoad open, TenantLoad job, string where)
    {
        if (open.Jobs >= MaxOpenJobsPerTenant)
        {
            return new JobReplies.Rejected(RejectionCode.TenantQuota, null, $"tenant '{tenant}' has {open.Jobs} open jobs on {where}, its quota is {MaxOpenJobsPerTenant}; retry when some finish", Backoff);
        }
        if (open.Jobs > 0 && open.Work + job.Work > WorkQuota)
        {
            // The least the tenant must wait: its open work beyond the quota, run on the whole board.
            var retry = TimeSpan.FromSeconds(Math.Ceiling((open.Work + job.Work - WorkQuota).TotalSeconds));
            return new JobReplies.Rejected(
                RejectionCode.TenantQuota,
                null,
                string.Create(CultureInfo.InvariantCulture, $"tenant '{tenant}' has {open.Work.TotalSeconds:0.###} s of board time in {open.Jobs} open jobs on {where} and this job adds {job.Work.TotalSeconds:0.###} s (modelled); its quota is {WorkQuota.TotalSeconds:0.###} s; retry when some finish"),
                retry > Backoff ? retry : Backoff);
        }
        return null;
    }
}
