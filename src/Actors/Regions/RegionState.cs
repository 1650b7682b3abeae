using Dpr.Fabric.Modules;
using MessagePack;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Actors.Regions;

/// <summary>
/// A partition as its journal describes it. <see cref="Apply"/> is a pure function of the events,
/// so recovery (events replayed, or a snapshot plus the events after it) rebuilds exactly this.
/// </summary>
/// <param name="LastEventAt">
/// When the last event applied happened: a snapshot says how old the events it covers are, so the
/// region manager knows after a restart which of them are past the swap history and may be deleted.
/// </param>
[MessagePackObject]
public sealed record RegionState(
    [property: Key(0)] RegionStatus Status,
    [property: Key(1)] string? Module,
    [property: Key(2)] string? PendingModule,
    [property: Key(3)] long Swaps,
    [property: Key(4)] long FailedSwaps,
    [property: Key(5)] int ConsecutiveFailures,
    [property: Key(6)] string? FaultReason,
    [property: Key(7)] DateTimeOffset[] RecentUpsetReloads,
    [property: Key(8)] DateTimeOffset? LastUsed,
    [property: Key(9)] DateTimeOffset? LoadedAt = null,
    [property: Key(10)] DateTimeOffset? LastEventAt = null) : IDprMessage
{
    /// <summary>How far back upset-triggered reloads are counted against the bound.</summary>
    public static readonly TimeSpan UpsetWindow = TimeSpan.FromMinutes(1);

    public static RegionState Initial { get; } = new(RegionStatus.Empty, null, null, 0, 0, 0, null, [], null);

    /// <summary>True when the partition must be written before any job may run in it.</summary>
    [IgnoreMember]
    public bool NeedsReload => Status is RegionStatus.Loading or RegionStatus.Unknown or RegionStatus.Scrubbing;

    /// <summary>The module a reload should write: the one being loaded when the swap was interrupted, else the loaded one.</summary>
    [IgnoreMember]
    public string? ReloadModule => PendingModule ?? Module;

    /// <summary>The state after <paramref name="e"/>, stamped with its time (<see cref="LastEventAt"/>).</summary>
    public RegionState Apply(IRegionEvent e) => Next(e) with { LastEventAt = e.At };

    private RegionState Next(IRegionEvent e) => e switch
    {
        SwapStarted s => this with { Status = Status == RegionStatus.Scrubbing ? RegionStatus.Scrubbing : RegionStatus.Loading, PendingModule = s.Module },
        SwapCompleted c => this with
        {
            Status = RegionStatus.Loaded,
            Module = c.Module,
            PendingModule = null,
            Swaps = Swaps + 1,
            ConsecutiveFailures = 0,
            LastUsed = c.At,
            LoadedAt = c.At,
        },
        SwapFailed f => f.RegionStateUnknown
            ? this with { Status = RegionStatus.Unknown, Module = null, FailedSwaps = FailedSwaps + 1, ConsecutiveFailures = ConsecutiveFailures + 1 }
            : this with
            {
                // Nothing was written: the partition holds what it held, unless an upset already spoiled it.
                Status = Status == RegionStatus.Scrubbing ? RegionStatus.Scrubbing : Module is null ? RegionStatus.Empty : RegionStatus.Loaded,
                PendingModule = Status == RegionStatus.Scrubbing ? PendingModule : null,
                FailedSwaps = FailedSwaps + 1,
                ConsecutiveFailures = ConsecutiveFailures + 1,
            },
        UpsetDetected u => this with
        {
            // A faulted partition stays faulted (only an operator's reset clears it); one that holds nothing has nothing to repair.
            Status = Status == RegionStatus.Faulted || (Module is null && PendingModule is null) ? Status : RegionStatus.Scrubbing,
            PendingModule = PendingModule ?? Module,
            RecentUpsetReloads = [.. RecentUpsetReloads.Where(t => u.At - t < UpsetWindow), u.At],
        },
        RegionFaulted f => this with { Status = RegionStatus.Faulted, FaultReason = f.Reason, PendingModule = null },
        RegionReset => this with { Status = RegionStatus.Unknown, Module = null, PendingModule = null, FaultReason = null, ConsecutiveFailures = 0, RecentUpsetReloads = [] },
        // The full load rewrote every frame: what faulted the partition (failed writes, an upset storm) is gone with them.
        RegionInvalidated => this with { Status = RegionStatus.Empty, Module = null, PendingModule = null, FaultReason = null, ConsecutiveFailures = 0 },
        _ => throw new ArgumentException($"unknown region event {e.GetType().Name}", nameof(e)),
    };

    /// <summary>
    /// Whether a load of <paramref name="requested"/> is refused (and why), already served, or needs a swap.
    /// <paramref name="found"/> is the catalog's module of that name (for this partition if it has one).
    /// </summary>
    public LoadDecision DecideLoad(string partition, string requested, ModuleEntry? found, IEnumerable<string> served, bool moduleRunning)
    {
        var refusal = found is null
            ? $"unknown module '{requested}'; the catalog serves {string.Join(", ", served)}"
            : found.Partition.Name != partition
                ? $"{found.Name} is built for partition '{found.Partition.Name}', not '{partition}'"
                : Status == RegionStatus.Faulted
                    ? $"partition '{partition}' is faulted ({FaultReason}); an operator must reset it"
                    : null;
        if (refusal is not null)
        {
            return new LoadDecision.Refuse(refusal);
        }
        return Status == RegionStatus.Loaded && string.Equals(Module, found!.Name, StringComparison.Ordinal) && (moduleRunning || found.Convolution is null)
            ? LoadDecision.Hit
            : LoadDecision.Swap;
    }

    /// <summary>
    /// A write failed: it goes on record, and past <see cref="RegionOptions.MaxAttempts"/> the partition is
    /// faulted; otherwise the same write is tried again after the back-off (<c>RetryAfter</c>).
    /// </summary>
    public (IReadOnlyList<IRegionEvent> Events, TimeSpan? RetryAfter) DecideWriteFailed(SwapFailed failed, int attempt, RegionOptions options)
    {
        ArgumentNullException.ThrowIfNull(failed);
        ArgumentNullException.ThrowIfNull(options);
        return attempt < options.MaxAttempts
            ? ([failed], options.Backoff(attempt))
            : ([failed, new RegionFaulted($"{attempt} attempts to load {failed.Module} failed; the last: {failed.Reason}", failed.At)], null);
    }

    /// <summary>
    /// An upset goes on record; the partition is then reloaded (by the caller, when it held a module),
    /// unless that would be more upset reloads within <see cref="UpsetWindow"/> than allowed: then it is
    /// faulted, so an upset storm cannot keep the port busy forever. <paramref name="reloadsBefore"/> are
    /// those within the window before this one, counted by the caller on the monotonic clock
    /// (<see cref="UpsetReloadsWithin"/> on the recorded stamps gives the same when the wall clock held still).
    /// </summary>
    public IReadOnlyList<IRegionEvent> DecideUpset(UpsetDetected upset, int reloadsBefore, int maxReloadsPerWindow)
    {
        ArgumentNullException.ThrowIfNull(upset);
        var reloads = reloadsBefore + 1;
        return reloads > maxReloadsPerWindow && Status != RegionStatus.Faulted
            ? [upset, new RegionFaulted($"{reloads} upsets within a minute: more than the {maxReloadsPerWindow} reloads allowed", upset.At)]
            : [upset];
    }

    /// <summary>An operator's reset clears a fault; on a partition that is not faulted it changes nothing.</summary>
    public IReadOnlyList<IRegionEvent> DecideReset(string by, DateTimeOffset now) =>
        Status == RegionStatus.Faulted ? [new RegionReset(by, now)] : [];

    /// <summary>Upset-triggered reloads counted at <paramref name="now"/>.</summary>
    public int UpsetReloadsWithin(DateTimeOffset now) => RecentUpsetReloads.Count(t => now - t < UpsetWindow);

    public RegionReplies.State ToReply(string partition) =>
        new(partition, Status, Module, PendingModule, Swaps, FailedSwaps, FaultReason, LastUsed, LoadedAt);
}
