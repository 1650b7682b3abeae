using Dpr.Fabric.Ports;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// The knobs of <see cref="JobScheduler"/>. Defaults suit the simulated PYNQ-Z2 (PCAP swaps of about
/// 1.5 ms, jobs of microseconds to half a millisecond); <see cref="Validate"/> names any bad setting.
/// </summary>
public sealed record SchedulerOptions
{
    /// <summary>
    /// The size of a conv partial on pynq-z2 in configuration-stream bytes (docs/benchmarks/swap.md);
    /// through PCAP it takes 0.5 ms + 151,484 B / 145 MB/s = 1.545 ms.
    /// </summary>
    public const long ConvPartialBytes = 151_484;

    /// <summary>Jobs run back to back on a loaded module before another module with waiting jobs gets the partition.</summary>
    public int BatchBound { get; init; } = 1024;

    /// <summary>
    /// No queued job waits longer than this to start because of grouping. 250 ms is about 160 swaps:
    /// a round of the six modules costs 9.3 ms of swapping, so at 90% load (10% spare) one partition
    /// needs rounds of at least 93 ms; 250 ms leaves room for that and for bursts.
    /// </summary>
    public TimeSpan AgingBound { get; init; } = TimeSpan.FromMilliseconds(250);

    public int MaxQueuedJobs { get; init; } = 10_000;

    public int MaxQueuedPerTenant { get; init; } = 2_500;

    /// <summary>Relative shares for weighted fair queueing; a tenant not listed weighs 1.</summary>
    public IReadOnlyDictionary<string, double>? TenantWeights { get; init; }

    public PlacementPolicy Placement { get; init; } = PlacementPolicy.Lookahead;

    /// <summary>Partition time one swap takes (decouple, transfer, recouple, rebind).</summary>
    public TimeSpan SwapCost { get; init; } = SimulatedPortOptions.Pcap.TransferTime(ConvPartialBytes);

    /// <summary>How early before a job's bound the scheduler acts for it; null means a twentieth of the bound.</summary>
    public TimeSpan? SafetyMargin { get; init; }

    /// <summary>
    /// An idle partition loads another module before the aging bound requires it when that module's
    /// waiting work (per partition that would serve it) reaches this. Null: only when the bound requires,
    /// which gives the fewest reconfigurations and waits of up to the bound at any load.
    /// </summary>
    public TimeSpan? SwitchWorth { get; init; }

    /// <summary>
    /// An idle empty partition loads the most urgent waiting module it hosts at once instead of holding until that
    /// module is due. The load evicts nothing, so the wait is saved at no swap where that module would be loaded
    /// anyway: on a fleet's boards (docs/fleet.md), where placement already groups jobs by module. Off by default:
    /// on a board of several partitions it can fill one with a module another partition would have served.
    /// </summary>
    public bool LoadEmptyAtOnce { get; init; }

    /// <summary>
    /// Speculative prefetch: an idle partition whose module has no queued job loads the module it predicts
    /// next — the first waiting module in EDF order, or with nothing waiting the module whose jobs arrive most
    /// often that no partition holds — ahead of its due time, while the estimated load (arrived work per
    /// partition over the last <see cref="PrefetchWindow"/>) is below <see cref="PrefetchBelowLoad"/>. A module
    /// with queued work is never evicted for it.
    /// </summary>
    public bool Prefetch { get; init; }

    /// <summary>Prefetch only while the estimated load is below this fraction of the partitions' capacity.</summary>
    public double PrefetchBelowLoad { get; init; } = 0.8;

    /// <summary>The window of the arrival-rate estimates prefetch predicts from (prefetch starts a tenth of it after the
    /// first arrival); null means four aging bounds.</summary>
    public TimeSpan? PrefetchWindow { get; init; }

    public TimeSpan RateWindow => PrefetchWindow ?? AgingBound * 4;

    /// <summary>Deficit round robin quantum per unit of weight, in estimated module time.</summary>
    public TimeSpan FairnessQuantum { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>What a job with no estimate is charged for fairness and backlog.</summary>
    public TimeSpan DefaultEstimatedRun { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The shortest retry-after a refusal advises, so clients do not spin.</summary>
    public TimeSpan MinRetryAfter { get; init; } = TimeSpan.FromMilliseconds(1);

    public TimeSpan Margin => SafetyMargin ?? AgingBound / 20;

    public double WeightOf(string tenant) =>
        TenantWeights is not null && TenantWeights.TryGetValue(tenant, out var w) ? w : 1.0;

    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        Require(BatchBound >= 1, nameof(BatchBound), "must be at least 1");
        Require(AgingBound > TimeSpan.Zero, nameof(AgingBound), "must be positive");
        Require(MaxQueuedJobs >= 1, nameof(MaxQueuedJobs), "must be at least 1");
        Require(MaxQueuedPerTenant >= 1, nameof(MaxQueuedPerTenant), "must be at least 1");
        Require(SwapCost >= TimeSpan.Zero, nameof(SwapCost), "must not be negative");
        Require(Margin >= TimeSpan.Zero && Margin < AgingBound, nameof(SafetyMargin), "must be between zero and the aging bound");
        Require(SwitchWorth is null || SwitchWorth > TimeSpan.Zero, nameof(SwitchWorth), "must be positive when set");
        Require(FairnessQuantum > TimeSpan.Zero, nameof(FairnessQuantum), "must be positive");
        Require(PrefetchBelowLoad is >= 0 and <= 1, nameof(PrefetchBelowLoad), "must be between 0 and 1");
        Require(RateWindow > TimeSpan.Zero, nameof(PrefetchWindow), "must be positive");
        Require(DefaultEstimatedRun > TimeSpan.Zero, nameof(DefaultEstimatedRun), "must be positive");
        Require(MinRetryAfter >= TimeSpan.Zero, nameof(MinRetryAfter), "must not be negative");
        if (TenantWeights is not null)
        {
            foreach (var (tenant, weight) in TenantWeights)
            {
                Require(weight > 0 && double.IsFinite(weight), nameof(TenantWeights), $"weight of '{tenant}' must be a positive number");
            }
        }
    }

    private static void Require(bool ok, string setting, string what)
    {
        if (!ok)
        {
            throw new ArgumentException($"scheduler setting {setting} {what}", setting);
        }
    }
}
