using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Jobs;

/// <param name="BatchSize">Submissions persisted together at most (one journal round trip).</param>
/// <param name="MaxOpenJobs">Accepted jobs not yet finished, over all tenants; past it submissions are refused (bounded memory).</param>
/// <param name="MaxOpenJobsPerTenant">The same, per tenant.</param>
/// <param name="RetryAfter">What a refusal for a full queue tells the tenant to wait.</param>
/// <param name="SnapshotEvery">Events between snapshots of the intake's state at least (and at least as many as the jobs it holds); a restart replays only what came after the last.</param>
public sealed record JobIntakeOptions(
    int BatchSize = 512,
    int MaxOpenJobs = 100_000,
    int MaxOpenJobsPerTenant = 10_000,
    TimeSpan? RetryAfter = null,
    ConvLimits? Limits = null,
    int SnapshotEvery = 10_000)
{
    public TimeSpan Backoff => RetryAfter ?? TimeSpan.FromSeconds(1);
}
