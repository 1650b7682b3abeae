namespace Dpr.Actors.Regions;

/// <param name="MaxAttempts">Writes of one swap before the partition is Faulted.</param>
/// <param name="RetryBackoff">Wait before the second attempt; doubled for each further one.</param>
/// <param name="SwapTimeout">A port write that takes longer is cancelled (a hang).</param>
/// <param name="DrainTimeout">How long the module's running job may take to finish before the swap goes ahead.</param>
/// <param name="MaxUpsetReloadsPerMinute">Past this many upset-triggered reloads in a minute the partition is Faulted, so an upset storm cannot keep the port busy forever.</param>
/// <param name="SnapshotEvery">Save a snapshot every this many events.</param>
/// <param name="JournalPluginId">The journal plugin to persist to; null for the default (<c>JournalSettings.RegionsJournal</c> in the service).</param>
/// <param name="SnapshotPluginId">The snapshot store; null for the default (<c>JournalSettings.RegionsSnapshots</c> in the service).</param>
/// <param name="SwapHistoryKept">
/// How long events stay in the journal (the swap history, <c>GET /v1/swaps</c>, reads them there);
/// older ones that a snapshot covers are deleted. Default 30 days (<c>Dpr:SwapHistoryDays</c> in the service).
/// </param>
public sealed record RegionOptions(
    int MaxAttempts = 3,
    TimeSpan? RetryBackoff = null,
    TimeSpan? SwapTimeout = null,
    TimeSpan? DrainTimeout = null,
    int MaxUpsetReloadsPerMinute = 10,
    int SnapshotEvery = 100,
    string? JournalPluginId = null,
    string? SnapshotPluginId = null,
    TimeSpan? SwapHistoryKept = null)
{
    public TimeSpan SwapHistory => SwapHistoryKept ?? TimeSpan.FromDays(30);

    public TimeSpan Backoff(int attempt) => (RetryBackoff ?? TimeSpan.FromMilliseconds(100)) * Math.Pow(2, attempt - 1);

    public TimeSpan WriteTimeout => SwapTimeout ?? TimeSpan.FromSeconds(10);

    public TimeSpan JobDrainTimeout => DrainTimeout ?? TimeSpan.FromSeconds(10);
}
