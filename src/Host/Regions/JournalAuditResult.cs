using Dpr.Actors.Regions;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Regions;

/// <param name="Events">The partition's events in sequence order (those that deserialized).</param>
/// <param name="Problems">Gaps, undeserializable events, swaps without an outcome; empty when the journal is sound.</param>
/// <param name="OpenSwap">A swap whose outcome is not on record yet (the process died during it).</param>
internal sealed record JournalAuditResult(IReadOnlyList<IRegionEvent> Events, IReadOnlyList<string> Problems, SwapStarted? OpenSwap)
{
    /// <summary>Recovery reloads on record, by reason (an interrupted swap, or a module that no longer answers).</summary>
    public IReadOnlyDictionary<string, int> RecoveryReloads =>
        Events.OfType<SwapStarted>()
            .Where(s => s.Reason.StartsWith("recovery", StringComparison.Ordinal))
            .GroupBy(s => s.Reason)
            .ToDictionary(g => g.Key, g => g.Count());
}
