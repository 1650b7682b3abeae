namespace Dpr.Actors.Regions;

/// <summary>
/// Which loaded module to evict when every partition that could take a module holds another: the
/// policies of the original Python package (<c>pynqpartial</c>'s LRU and FIFO), chosen by configuration.
/// </summary>
public abstract record ReplacementPolicy(string Name)
{
    /// <summary>Evict the module used least recently (loaded or ran a job).</summary>
    public static ReplacementPolicy Lru { get; } = new Ordered("lru", s => s.LastUsed ?? s.LoadedAt ?? DateTimeOffset.MinValue);

    /// <summary>Evict the module loaded first.</summary>
    public static ReplacementPolicy Fifo { get; } = new Ordered("fifo", s => s.LoadedAt ?? DateTimeOffset.MinValue);

    public static ReplacementPolicy Parse(string name) => name.ToLowerInvariant() switch
    {
        "lru" => Lru,
        "fifo" => Fifo,
        _ => throw new ArgumentException($"unknown replacement policy '{name}'; expected lru or fifo", nameof(name)),
    };

    /// <summary>
    /// The partition to load <paramref name="module"/> into: one that already holds it (a hit), else
    /// one that holds nothing useful (empty or unknown), else the victim the policy picks among
    /// the loaded ones. Faulted partitions and partitions in the middle of a swap are never chosen;
    /// null when no candidate is usable.
    /// </summary>
    public string? Choose(string module, IReadOnlyList<RegionReplies.State> candidates)
    {
        var hit = candidates.FirstOrDefault(c => c.Status == RegionStatus.Loaded && string.Equals(c.Module, module, StringComparison.OrdinalIgnoreCase));
        if (hit is not null)
        {
            return hit.Partition;
        }
        var free = candidates.FirstOrDefault(c => c.Status is RegionStatus.Empty or RegionStatus.Unknown);
        if (free is not null)
        {
            return free.Partition;
        }
        return Victim(candidates.Where(c => c.Status == RegionStatus.Loaded).ToList())?.Partition;
    }

    protected abstract RegionReplies.State? Victim(IReadOnlyList<RegionReplies.State> loaded);

    private sealed record Ordered(string PolicyName, Func<RegionReplies.State, DateTimeOffset> Key) : ReplacementPolicy(PolicyName)
    {
        protected override RegionReplies.State? Victim(IReadOnlyList<RegionReplies.State> loaded) =>
            loaded.OrderBy(Key).ThenBy(s => s.Partition, StringComparer.Ordinal).FirstOrDefault();
    }
}
