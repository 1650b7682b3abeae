using System.Numerics;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// An offline lower bound on the number of module loads any schedule needs to start every job within
/// the aging bound, for given arrivals and a given number of partitions (each holding one module).
/// </summary>
/// <remarks>
/// Construction. Pick intervals I_k = [s_k, s_k + L) with L = B + δ and s_(k+1) ≥ s_k + L. A job arriving
/// in [s_k, s_k + δ) must start in [a, a + B], inside I_k, so its module must be resident at some moment
/// of I_k; call the set of such modules S_k. Let C_k be the set of modules resident at s_k (at most P).
/// Every module of S_k not in C_k, and every module of C_(k+1) not in C_k, must finish loading in
/// (s_k, s_(k+1)] (gaps between intervals are allowed); these spans are disjoint, so any feasible schedule makes at least
/// |C_0| + Σ_k |(S_k ∪ C_(k+1)) \ C_k| loads for its own C_k. Moreover, when S_k holds a module not in
/// C_k, at the moment that module is resident at most P − 1 of the modules of C_k ∩ C_(k+1) are, so at
/// least |C_k ∩ C_(k+1)| − (P − 1) of them were evicted and load again in the same span (with one
/// partition: visiting another module and coming back costs two loads). Minimising that sum over all sequences of
/// resident sets (dynamic programming over the subsets of at most P modules) gives a number no feasible
/// schedule can beat. Every choice of δ and of the s_k gives a valid bound, so the maximum over a few
/// of them (contiguous tilings at four offsets, and intervals that each start at the first arrival after
/// the previous one ends, for seven values of δ from B/64 to B) is one too; so is the number of distinct modules (each is loaded at least once). Swap
/// and run times are ignored (they only make things harder), so the bound is weaker than the true
/// optimum, most where arrivals of a module are sparse (they fall outside the δ windows).
/// </remarks>
public static class ReconfigurationLowerBound
{
    private static readonly double[] DeltaFractions = [1.0 / 64, 1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0 / 2, 1.0];

    private static readonly double[] OffsetFractions = [0, 0.25, 0.5, 0.75];

    /// <summary>The bound for <paramref name="jobs"/> (admission time and module) with <paramref name="partitions"/> partitions that can each host every module.</summary>
    public static int Compute(IReadOnlyList<(DateTimeOffset EnqueuedAt, string Module)> jobs, TimeSpan agingBound, int partitions)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(agingBound, TimeSpan.Zero);
        if (jobs.Count == 0)
        {
            return 0;
        }
        var modules = jobs.Select(j => j.Module).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (modules.Count > 16)
        {
            throw new ArgumentException($"the bound is computed over subsets of modules; {modules.Count} modules is too many (at most 16)", nameof(jobs));
        }
        var index = modules.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
        var arrivals = jobs
            .Select(j => (Ticks: j.EnqueuedAt.UtcTicks, Bit: 1 << index[j.Module]))
            .OrderBy(a => a.Ticks)
            .ToArray();
        var states = Enumerable.Range(0, 1 << modules.Count).Where(s => BitOperations.PopCount((uint)s) <= partitions).ToArray();
        var best = modules.Count;
        foreach (var fraction in DeltaFractions)
        {
            var delta = Math.Max(1, (long)(agingBound.Ticks * fraction));
            var length = agingBound.Ticks + delta;
            foreach (var offset in OffsetFractions)
            {
                best = Math.Max(best, Bound(arrivals, Tiling(arrivals, arrivals[0].Ticks - (long)(length * offset), length), delta, states, partitions));
            }
            best = Math.Max(best, Bound(arrivals, Adaptive(arrivals, length), delta, states, partitions));
        }
        return best;
    }

    /// <summary>Contiguous intervals from <paramref name="start"/>.</summary>
    private static List<long> Tiling((long Ticks, int Bit)[] arrivals, long start, long length)
    {
        var starts = new List<long>();
        for (var s = start; s <= arrivals[^1].Ticks; s += length)
        {
            starts.Add(s);
        }
        return starts;
    }

    /// <summary>Each interval starts at the first arrival after the previous one ends (gaps are allowed).</summary>
    private static List<long> Adaptive((long Ticks, int Bit)[] arrivals, long length)
    {
        var starts = new List<long>();
        foreach (var (ticks, _) in arrivals)
        {
            if (starts.Count == 0 || ticks >= starts[^1] + length)
            {
                starts.Add(ticks);
            }
        }
        return starts;
    }

    private static int Bound((long Ticks, int Bit)[] arrivals, List<long> starts, long delta, int[] states, int partitions)
    {
        var required = new int[starts.Count];
        var k = 0;
        foreach (var (ticks, bit) in arrivals)
        {
            while (k + 1 < starts.Count && starts[k + 1] <= ticks)
            {
                k++;
            }
            if (ticks >= starts[k] && ticks - starts[k] < delta)
            {
                required[k] |= bit;
            }
        }
        var cost = states.Select(s => BitOperations.PopCount((uint)s)).ToArray();
        var next = new int[states.Length];
        foreach (var s in required)
        {
            for (var j = 0; j < states.Length; j++)
            {
                var need = s | states[j];
                var min = int.MaxValue;
                for (var i = 0; i < states.Length; i++)
                {
                    var loads = BitOperations.PopCount((uint)(need & ~states[i]));
                    if ((s & ~states[i]) != 0)
                    {
                        // While a required module that was not resident is resident, at most P - 1 of the
                        // modules resident at both ends are; the others were evicted and must load again.
                        loads += Math.Max(0, BitOperations.PopCount((uint)(states[i] & states[j])) - (partitions - 1));
                    }
                    min = Math.Min(min, cost[i] + loads);
                }
                next[j] = min;
            }
            (cost, next) = (next, cost);
        }
        return cost.Min();
    }
}
