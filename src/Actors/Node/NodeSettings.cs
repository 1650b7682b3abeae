using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;

namespace Dpr.Actors.Node;

/// <summary>
/// How a node's actors behave: the bounds of the intake, how long swap history and results are kept,
/// the placement policy and tenant weights (the <c>Dpr:*</c> settings of <c>dpr serve</c>, docs/service.md).
/// </summary>
/// <param name="Region">The region managers' options; null: the service's defaults on <see cref="JournalSettings.RegionsJournal"/> with <paramref name="SwapHistoryKept"/>.</param>
/// <param name="Prefetch">Whether an idle partition loads the module predicted next (<see cref="SchedulerOptions.Prefetch"/>); off by default.</param>
/// <param name="LoadEmptyAtOnce">Whether an empty partition loads its most urgent waiting module at once (<see cref="SchedulerOptions.LoadEmptyAtOnce"/>): a fleet's boards do.</param>
public sealed record NodeSettings(
    int MaxOpenJobs = 100_000,
    int MaxOpenJobsPerTenant = 10_000,
    TimeSpan? MaxOpenWorkPerTenant = null,
    TimeSpan? SwapHistoryKept = null,
    TimeSpan? ResultRetention = null,
    PlacementPolicy Placement = PlacementPolicy.Lookahead,
    IReadOnlyDictionary<string, double>? TenantWeights = null,
    RegionOptions? Region = null,
    bool Prefetch = false,
    bool LoadEmptyAtOnce = false)
{
    public TimeSpan OpenWorkPerTenant => MaxOpenWorkPerTenant ?? TimeSpan.FromSeconds(600);

    public TimeSpan Retention => ResultRetention ?? TimeSpan.FromDays(7);

    public RegionOptions RegionOptions => Region ?? new RegionOptions(JournalPluginId: JournalSettings.RegionsJournal, SnapshotPluginId: JournalSettings.RegionsSnapshots, SwapHistoryKept: SwapHistoryKept ?? TimeSpan.FromDays(30));
}
