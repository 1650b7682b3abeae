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
}
