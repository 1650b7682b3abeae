using Google.OrTools.Sat;

namespace Dpr.Optimum;

/// <summary>
/// The fewest loads any schedule of an <see cref="OfflineInstance"/> needs, solved exactly with Google OR-Tools'
/// CP-SAT: what dpr's online scheduler is measured against on small instances (about 8–14 jobs).
/// </summary>
/// <remarks>
/// Model, in ticks (100 ns, the unit of dpr's own clocks, so a schedule dpr ran is a solution as it stands).
/// Each job has a start s_j in [a_j, a_j + B] and runs r_j. Each partition orders the jobs it runs as a
/// circuit through a depot node (<c>AddCircuit</c>): an arc depot→j makes j the partition's first job (one
/// load, s_j ≥ swap), an arc i→j makes j follow i directly (s_j ≥ s_i + r_i, plus a swap and one load when
/// their modules differ), a self-loop on j means another partition runs it; each job is on exactly one
/// partition. The objective is the number of loads. One load between consecutive jobs is all an optimal
/// schedule needs (any load in between that is not of the next job's module can be dropped), so the model
/// loses no schedule that matters. Arcs no schedule can use (i cannot end before j's latest start) are left out,
/// and the first job is put on the first partition (partitions are identical).
/// </remarks>
public static class OptimalScheduler
{
    /// <summary>Solves <paramref name="instance"/>; stops at <paramref name="timeLimit"/> with the best schedule found (then not optimal).</summary>
    /// <param name="onlyForWaitingJobs">
    /// Allow a load of a module only while one of its jobs has arrived and not started — what an online scheduler
    /// without prefetch does (it cannot load for a job it has not seen). The optimum of that class measures how
    /// much of the offline optimum's advantage is loading ahead of arrivals.
    /// </param>
    /// <param name="order">Pairs of jobs (indices) where the first starts no later than the second: the optimum among
    /// schedules that made those decisions (say, what a scheduler committed to before it could know the rest).</param>
    /// <exception cref="ArgumentException">The instance has no job, no partition, a negative time, or a job that cannot start in
    /// time; an order names a job the instance does not have.</exception>
    public static OfflineSchedule Solve(OfflineInstance instance, TimeSpan timeLimit, bool onlyForWaitingJobs = false, IReadOnlyList<(int First, int Then)>? order = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        Validate(instance);
        var jobs = instance.Jobs;
        var n = jobs.Count;
        var swap = instance.SwapCost.Ticks;
        var bound = instance.WaitBound.Ticks;
        var model = new CpModel();
        var start = jobs.Select((j, i) => model.NewIntVar(j.Arrival.Ticks, j.Arrival.Ticks + bound, $"s{i}")).ToArray();
        var on = new BoolVar[n, instance.Partitions];
        var costs = new List<ILiteral>();
        var arcs = new List<(int Partition, int From, int To, BoolVar Literal)>();
        for (var p = 0; p < instance.Partitions; p++)
        {
            var circuit = model.AddCircuit();
            circuit.AddArc(0, 0, model.NewBoolVar($"unused{p}"));
            for (var j = 0; j < n; j++)
            {
                on[j, p] = model.NewBoolVar($"on{j}_{p}");
                circuit.AddArc(j + 1, j + 1, on[j, p].Not());
                var first = model.NewBoolVar($"first{j}_{p}");
                circuit.AddArc(0, j + 1, first);
                model.Add(start[j] >= swap).OnlyEnforceIf(first);
                costs.Add(first);
                arcs.Add((p, -1, j, first));
                circuit.AddArc(j + 1, 0, model.NewBoolVar($"last{j}_{p}"));
                for (var i = 0; i < n; i++)
                {
                    var setup = jobs[i].Module == jobs[j].Module ? 0 : swap;
                    var earliest = jobs[i].Arrival.Ticks + jobs[i].Run.Ticks + setup;
                    if (i == j || earliest > jobs[j].Arrival.Ticks + bound)
                    {
                        continue;
                    }
                    var next = model.NewBoolVar($"next{i}_{j}_{p}");
                    circuit.AddArc(i + 1, j + 1, next);
                    model.Add(start[j] >= start[i] + jobs[i].Run.Ticks + setup).OnlyEnforceIf(next);
                    if (setup > 0)
                    {
                        costs.Add(next);
                    }
                    arcs.Add((p, i, j, next));
                }
            }
        }
        foreach (var (first, then) in order ?? [])
        {
            if (first < 0 || first >= n || then < 0 || then >= n)
            {
                throw new ArgumentException($"the order ({first}, {then}) names a job outside 0..{n - 1}", nameof(order));
            }
            model.Add(start[first] <= start[then]);
        }
        if (onlyForWaitingJobs)
        {
            RequireWaitingJob(model, instance, start, arcs.Where(a => a.From < 0 || jobs[a.From].Module != jobs[a.To].Module).ToList());
        }
        for (var j = 0; j < n; j++)
        {
            model.AddExactlyOne(Enumerable.Range(0, instance.Partitions).Select(p => (ILiteral)on[j, p]));
        }
        model.Add(on[0, 0] == 1);
        model.Minimize(LinearExpr.Sum(costs.Cast<BoolVar>()));

        // One worker: the same answer on every run, and the machine's other core is left to the rest.
        var solver = new CpSolver { StringParameters = FormattableString.Invariant($"max_time_in_seconds:{timeLimit.TotalSeconds} num_workers:1") };
        var status = solver.Solve(model);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
        {
            throw new InvalidOperationException($"CP-SAT found no schedule within {timeLimit.TotalSeconds} s (status {status}): with an order or loads only for waiting jobs there may be none; without, every valid instance has one");
        }
        var starts = Enumerable.Range(0, n)
            .Select(j => new OfflineSchedule.Start(j, Enumerable.Range(0, instance.Partitions).First(p => solver.BooleanValue(on[j, p])), TimeSpan.FromTicks(solver.Value(start[j]))))
            .ToList();
        var swaps = arcs
            .Where(a => solver.BooleanValue(a.Literal) && (a.From < 0 || jobs[a.From].Module != jobs[a.To].Module))
            .Select(a => new OfflineSchedule.Load(
                a.Partition,
                jobs[a.To].Module,
                a.From < 0 ? starts[a.To].At - instance.SwapCost : starts[a.From].At + jobs[a.From].Run))
            .OrderBy(l => l.Partition).ThenBy(l => l.At)
            .ToList();
        return new OfflineSchedule(status == CpSolverStatus.Optimal, (int)Math.Round(solver.ObjectiveValue), (int)Math.Ceiling(solver.BestObjectiveBound - 1e-6), starts, swaps);
    }

    /// <summary>
    /// Each load ends when its job j starts, so it starts at s_j − swap; then some job k of j's module must be
    /// waiting: a_k ≤ s_j − swap ≤ s_k (for k = j the second half always holds).
    /// </summary>
    private static void RequireWaitingJob(CpModel model, OfflineInstance instance, IntVar[] start, List<(int Partition, int From, int To, BoolVar Literal)> loads)
    {
        var jobs = instance.Jobs;
        var swap = instance.SwapCost.Ticks;
        var waiting = new Dictionary<int, List<ILiteral>>();
        foreach (var (_, _, j, literal) in loads)
        {
            if (!waiting.TryGetValue(j, out var witnesses))
            {
                witnesses = [];
                for (var k = 0; k < jobs.Count; k++)
                {
                    if (jobs[k].Module != jobs[j].Module || jobs[k].Arrival.Ticks + swap > jobs[j].Arrival.Ticks + instance.WaitBound.Ticks)
                    {
                        continue;
                    }
                    var witness = model.NewBoolVar($"waits{k}_for{j}");
                    model.Add(start[j] >= jobs[k].Arrival.Ticks + swap).OnlyEnforceIf(witness);
                    if (k != j)
                    {
                        model.Add(start[k] >= start[j] - swap).OnlyEnforceIf(witness);
                    }
                    witnesses.Add(witness);
                }
                waiting.Add(j, witnesses);
            }
            model.AddBoolOr(witnesses.Append(literal.Not()));
        }
    }

    private static void Validate(OfflineInstance instance)
    {
        if (instance.Jobs.Count == 0)
        {
            throw new ArgumentException("the instance has no job", nameof(instance));
        }
        if (instance.Partitions < 1)
        {
            throw new ArgumentException($"the instance has {instance.Partitions} partitions; at least one is needed", nameof(instance));
        }
        if (instance.SwapCost < TimeSpan.Zero || instance.WaitBound < TimeSpan.Zero)
        {
            throw new ArgumentException("the swap cost and the wait bound must not be negative", nameof(instance));
        }
        for (var j = 0; j < instance.Jobs.Count; j++)
        {
            var job = instance.Jobs[j];
            if (job.Arrival < TimeSpan.Zero || job.Run < TimeSpan.Zero)
            {
                throw new ArgumentException($"job {j} has a negative arrival or run time", nameof(instance));
            }
            if (job.Arrival + instance.WaitBound < instance.SwapCost)
            {
                throw new ArgumentException($"job {j} cannot start in time: it arrives at {job.Arrival} and its module takes {instance.SwapCost} to load into an empty partition", nameof(instance));
            }
        }
    }
}
