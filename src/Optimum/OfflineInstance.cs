namespace Dpr.Optimum;

/// <summary>
/// The offline scheduling problem dpr's scheduler faces online: jobs known in advance (arrival, module, run
/// time), <paramref name="Partitions"/> identical partitions that each host every module and start empty at
/// time zero, a swap that occupies its partition for <paramref name="SwapCost"/>, and every job started
/// within <paramref name="WaitBound"/> of its arrival. Jobs are not preempted.
/// </summary>
public sealed record OfflineInstance(IReadOnlyList<OfflineJob> Jobs, int Partitions, TimeSpan SwapCost, TimeSpan WaitBound)
{
    /// <summary>
    /// A seeded random instance: <paramref name="jobs"/> jobs whose arrivals are uniform over
    /// <paramref name="span"/> (the first at zero), each for a module drawn uniformly from
    /// <paramref name="modules"/> with one of that module's run times.
    /// </summary>
    public static OfflineInstance Random(int seed, int jobs, IReadOnlyList<(string Module, TimeSpan[] Runs)> modules, int partitions, TimeSpan span, TimeSpan swapCost, TimeSpan waitBound)
    {
        ArgumentNullException.ThrowIfNull(modules);
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(modules.Count, 1);
        var random = new Random(seed);
        var arrivals = Enumerable.Range(0, jobs).Select(i => i == 0 ? 0L : random.NextInt64(span.Ticks)).Order().ToList();
        var list = arrivals.Select(at =>
        {
            var (module, runs) = modules[random.Next(modules.Count)];
            return new OfflineJob(TimeSpan.FromTicks(at), module, runs[random.Next(runs.Length)]);
        }).ToList();
        return new OfflineInstance(list, partitions, swapCost, waitBound);
    }
}
