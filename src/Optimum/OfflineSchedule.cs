namespace Dpr.Optimum;

/// <summary>
/// A schedule for an <see cref="OfflineInstance"/>: where and when each job starts, and each load (a swap of
/// the instance's swap cost that ends with the module resident). <see cref="Loads"/> is the number of loads;
/// when <see cref="Optimal"/> no valid schedule has fewer, otherwise <see cref="LowerBound"/> is the best
/// the solver proved.
/// </summary>
public sealed record OfflineSchedule(bool Optimal, int Loads, int LowerBound, IReadOnlyList<OfflineSchedule.Start> Starts, IReadOnlyList<OfflineSchedule.Load> Swaps)
{
    /// <summary>Job <paramref name="Job"/> (its index in the instance) starts on <paramref name="Partition"/> at <paramref name="At"/>.</summary>
    public sealed record Start(int Job, int Partition, TimeSpan At);

    /// <summary><paramref name="Module"/> starts loading into <paramref name="Partition"/> at <paramref name="At"/>.</summary>
    public sealed record Load(int Partition, string Module, TimeSpan At);
}
