namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>The one implementation of the replacement policies: which loaded partition gives way.</summary>
public static class Placement
{
    /// <summary>
    /// The partition <paramref name="policy"/> evicts among <paramref name="loaded"/> (idle partitions that
    /// hold a module): FIFO the one loaded first, LRU the one used least recently, lookahead the one whose
    /// module is needed furthest in the future (<paramref name="neededAt"/>: its oldest queued job's start-by
    /// time, or <see cref="DateTimeOffset.MaxValue"/> when none is queued), then the least recently used.
    /// Ties go to the first name in ordinal order, so the choice is deterministic.
    /// </summary>
    public static PartitionView Victim(PlacementPolicy policy, IReadOnlyCollection<PartitionView> loaded, Func<string, DateTimeOffset> neededAt)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(neededAt);
        if (loaded.Count == 0)
        {
            throw new ArgumentException("no partition to choose from", nameof(loaded));
        }
        IOrderedEnumerable<PartitionView> ordered = policy switch
        {
            PlacementPolicy.Fifo => loaded.OrderBy(p => p.LoadedAt ?? DateTimeOffset.MinValue),
            PlacementPolicy.Lru => loaded.OrderBy(Recency),
            _ => loaded.OrderByDescending(p => p.Module is { } m ? neededAt(m) : DateTimeOffset.MaxValue).ThenBy(Recency),
        };
        return ordered.ThenBy(p => p.Name, StringComparer.Ordinal).First();
    }

    private static DateTimeOffset Recency(PartitionView p) => p.LastUsed ?? p.LoadedAt ?? DateTimeOffset.MinValue;
}
