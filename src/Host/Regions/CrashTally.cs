using System.Globalization;
using Dpr.Actors.Regions;

namespace Dpr.Host.Regions;

/// <param name="KilledMidSwap">Kills after which the journal's last swap had no outcome (SwapStarted stored, the rest not).</param>
/// <param name="StartsAfterSwaps">Starts (the final one included) with at least one swap already on record: each should reload once.</param>
/// <param name="RecoveryReloads">Recovery reloads on record in the final journal.</param>
/// <param name="RecoveryReasons">The same, by reason.</param>
/// <param name="FinalReady">The ready line of the last, clean start.</param>
/// <param name="Problems">Journal gaps, undeserializable events, swaps without an outcome, a final state that is not settled; the goal is none.</param>
internal sealed record CrashTally(
    int Cycles,
    int KilledMidSwap,
    int StartsAfterSwaps,
    int RecoveryReloads,
    IReadOnlyDictionary<string, int> RecoveryReasons,
    int SwapsCompleted,
    int Events,
    string FinalReady,
    int FinalExit,
    IReadOnlyList<string> Problems,
    TimeSpan Elapsed)
{
    /// <summary>The status the final start reported (<c>ready status=Loaded ...</c>).</summary>
    public RegionStatus FinalStatus
    {
        get
        {
            var status = FinalReady.Split(' ').FirstOrDefault(f => f.StartsWith("status=", StringComparison.Ordinal))
                ?? throw new FormatException($"no status in '{FinalReady}'");
            return Enum.Parse<RegionStatus>(status["status=".Length..]);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Cycles} cycles, {KilledMidSwap} killed mid-swap, {RecoveryReloads} recovery reloads, {SwapsCompleted} swaps completed, {Events} events, {Problems.Count} problems");
}
