using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Simulation;
using Dpr.Optimum;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench schedule</c>: a seeded discrete-event simulation in virtual time that drives the real
/// <see cref="SchedulingDriver"/> the service runs (and, for the baselines, the same <see cref="Placement"/>) with
/// the simulated board's timings: a swap is a PCAP transfer of a 151,484-byte conv partial, a job runs
/// for its multiply-accumulates at the paper's GOPS. Six modules, eight equal-weight tenants, Poisson
/// arrivals at fractions of the zero-reconfiguration capacity, one and four partitions. Policies:
/// arrival order with load on demand (the original Python package), the same with LRU and with FIFO
/// replacement, and dpr's scheduler; beside dpr, an offline lower bound on reconfigurations.
/// </summary>
public sealed class ScheduleBenchmark : IBenchmark
{
    private const int Tenants = 8;
    private const double LowerBoundGoal = 1.15;
    private const double OptimumWorstGoal = 1.15;
    private const double OptimumMeanGoal = 1.05;
    private const double PrefetchWaitGoal = 0.8;
    private const double PrefetchReconfigGoal = 1.05;
    private const double ArrivalRatioGoal = 10;
    private const double JainGoal = 0.95;
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Policies = ["arrival", "lru", "fifo", "dpr"];

    public string Name => "schedule";

    public string Description => "Scheduler simulation: reconfigurations, waits and fairness of dpr's scheduler against arrival order, LRU and FIFO, and a lower bound.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        var jobs = quick ? 2_000 : 10_000;
        (string Name, double S)[] popularities = quick ? [("uniform", 0), ("zipf 1.0", 1.0)] : [("uniform", 0), ("zipf 0.6", 0.6), ("zipf 1.0", 1.0)];
        double[] loads = quick ? [0.9, 1.2] : [0.5, 0.9, 1.2];
        int[] partitionCounts = [1, 4];
        var options = new SchedulerOptions();
        var sizes = JobSizes();
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        var results = new List<(string Popularity, double Load, int Partitions, string Policy, Outcome Outcome)>();
        var seed = 0x5EED_0001UL;
        foreach (var (popName, s) in popularities)
        {
            foreach (var load in loads)
            {
                foreach (var partitions in partitionCounts)
                {
                    var arrivals = Generate(jobs, s, load, partitions, sizes, seed++);
                    console.MarkupLineInterpolated($"simulating [bold]{popName}[/], {load:P0} load, {partitions} partition(s)...");
                    foreach (var policy in Policies)
                    {
                        var outcome = policy == "dpr"
                            ? new Simulation(arrivals, partitions, options.SwapCost).RunDpr(options)
                            : new Simulation(arrivals, partitions, options.SwapCost).RunArrivalOrder(policy);
                        var lowerBound = policy == "dpr"
                            ? ReconfigurationLowerBound.Compute(
                                outcome.AdmittedAt.Select((t, i) => (t, arrivals[i].Module)).ToList(), options.AgingBound, partitions)
                            : (int?)null;
                        results.Add((popName, load, partitions, policy, outcome));
                        rows.Add(Row(popName, load, partitions, policy, outcome, lowerBound, options.AgingBound));
                    }
                }
            }
        }
        var goals = Goals(rows, options.AgingBound);
        var (prefetchRows, prefetchGoals) = WithAndWithoutPrefetch(quick ? 10_000 : 50_000, sizes, options, console);
        rows.AddRange(prefetchRows);
        goals.AddRange(prefetchGoals);
        if (AgainstOptimum(quick ? 40 : 200, sizes, options, console) is { } optimum)
        {
            rows.AddRange(optimum.Rows);
            goals.AddRange(optimum.Goals);
        }
        return new BenchReport("schedule", MachineInfo.Current(), rows, goals);
    }

    /// <summary>
    /// Speculative prefetch (<see cref="SchedulerOptions.Prefetch"/>) off and on, on the same arrivals: Poisson,
    /// uniform and Zipf 1.0 popularity, 50–90% load, one and four partitions.
    /// </summary>
    private static (List<IReadOnlyDictionary<string, object?>> Rows, List<BenchGoal> Goals) WithAndWithoutPrefetch(int jobs, Dictionary<string, TimeSpan[]> sizes, SchedulerOptions options, IAnsiConsole console)
    {
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        var pairs = new List<(double Load, Outcome Off, Outcome On)>();
        var seed = 0x5EED_0100UL;
        foreach (var (popName, s) in new[] { ("uniform", 0.0), ("zipf 1.0", 1.0) })
        {
            foreach (var load in new[] { 0.5, 0.6, 0.7, 0.9 })
            {
                foreach (var partitions in new[] { 1, 4 })
                {
                    console.MarkupLineInterpolated($"prefetch off and on: [bold]{popName}[/], {load:P0} load, {partitions} partition(s)...");
                    var arrivals = Generate(jobs, s, load, partitions, sizes, seed++);
                    var off = new Simulation(arrivals, partitions, options.SwapCost).RunDpr(options with { Prefetch = false });
                    var on = new Simulation(arrivals, partitions, options.SwapCost).RunDpr(options with { Prefetch = true });
                    rows.Add(Row(popName, load, partitions, "dpr, prefetch off", off, null, options.AgingBound));
                    rows.Add(Row(popName, load, partitions, "dpr, prefetch on", on, null, options.AgingBound));
                    pairs.Add((load, off, on));
                }
            }
        }
        static double MeanWait(Outcome o) => Enumerable.Range(0, o.StartAt.Length).Average(i => (o.StartAt[i] - o.AdmittedAt[i]).TotalMilliseconds);
        var waitRatio = pairs.Where(p => p.Load <= 0.7).Max(p => MeanWait(p.On) / MeanWait(p.Off));
        var loadRatio = pairs.Where(p => p.Load == 0.9).Max(p => (double)p.On.Loads / p.Off.Loads);
        List<BenchGoal> goals =
        [
            BenchGoal.AtMost("mean wait, prefetch on / off, worst at 50-70% load", PrefetchWaitGoal, Math.Round(waitRatio, 3), "x"),
            BenchGoal.AtMost("reconfigurations, prefetch on / off, worst at 90% load", PrefetchReconfigGoal, Math.Round(loadRatio, 3), "x"),
        ];
        return (rows, goals);
    }

    /// <summary>
    /// dpr against the exact optimum (CP-SAT, <see cref="OptimalScheduler"/>) on small seeded instances: 8–14 jobs
    /// of 2–4 modules arriving over one second, 1 or 2 partitions, realistic run times. dpr runs first (the
    /// production driver, as for the large runs); the optimum is solved for the jobs as dpr admitted them, and again
    /// among the schedules that load a module only while one of its jobs waits (as dpr without prefetch does), to
    /// tell how much of the gap is loading ahead of arrivals. Null
    /// when OR-Tools' native library is not in this build (published builds leave it out).
    /// </summary>
    private static (List<IReadOnlyDictionary<string, object?>> Rows, List<BenchGoal> Goals)? AgainstOptimum(int count, Dictionary<string, TimeSpan[]> sizes, SchedulerOptions options, IAnsiConsole console)
    {
        console.MarkupLineInterpolated($"solving [bold]{count}[/] small instances to optimality (CP-SAT)...");
        var results = new List<(int Seed, int Partitions, int Dpr, int Optimum, bool Proven, int Waiting, TimeSpan MaxWait, int Jobs, int Reloads)>();
        var names = sizes.Keys.Order(StringComparer.Ordinal).ToArray();
        for (var seed = 0; seed < count; seed++)
        {
            var random = new Random(seed);
            var modules = names.OrderBy(_ => random.Next()).Take(2 + random.Next(3)).Select(m => (m, sizes[m])).ToList();
            var instance = OfflineInstance.Random(seed, 8 + random.Next(7), modules, 1 + random.Next(2), TimeSpan.FromSeconds(1), options.SwapCost, options.AgingBound);
            var arrivals = instance.Jobs.Select((j, i) => new Arrival(T0 + j.Arrival, i % Tenants, j.Module, j.Run)).ToArray();
            var dpr = new Simulation(arrivals, instance.Partitions, options.SwapCost).RunDpr(options);
            var admitted = instance with { Jobs = [.. instance.Jobs.Select((j, i) => j with { Arrival = dpr.AdmittedAt[i] - T0 })] };
            OfflineSchedule best, waiting;
            try
            {
                best = OptimalScheduler.Solve(admitted, TimeSpan.FromSeconds(10));
                waiting = OptimalScheduler.Solve(admitted, TimeSpan.FromSeconds(10), onlyForWaitingJobs: true);
            }
            catch (TypeInitializationException e) when (e.InnerException is DllNotFoundException)
            {
                console.MarkupLine("[yellow]OR-Tools' native solver is not in this build (published builds leave it out): no optimum rows[/]");
                return null;
            }
            var maxWait = Enumerable.Range(0, arrivals.Length).Max(i => dpr.StartAt[i] - dpr.AdmittedAt[i]);
            // Not proven optimal: compare with the solver's lower bound, which can only overstate dpr's ratio.
            results.Add((seed, instance.Partitions, dpr.Loads, best.Optimal ? best.Loads : best.LowerBound, best.Optimal && waiting.Optimal, waiting.Optimal ? waiting.Loads : waiting.LowerBound, maxWait, arrivals.Length, dpr.ReloadsForJobsLeftWaiting()));
        }
        var rows = results.GroupBy(r => r.Partitions).OrderBy(g => g.Key).Select(g => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["popularity"] = "small random",
            ["partitions"] = g.Key,
            ["policy"] = "dpr vs optimum",
            ["jobs"] = g.Sum(r => r.Jobs),
            ["instances"] = g.Count(),
            ["proven optimal"] = g.Count(r => r.Proven),
            ["reconfigs"] = g.Sum(r => r.Dpr),
            ["optimum"] = g.Sum(r => r.Optimum),
            ["x optimum mean"] = Math.Round(g.Average(r => (double)r.Dpr / r.Optimum), 3),
            ["x optimum worst"] = Math.Round(g.Max(r => (double)r.Dpr / r.Optimum), 3),
            ["dpr = optimum"] = g.Count(r => r.Dpr == r.Optimum),
            ["above worst goal"] = g.Count(r => r.Dpr > OptimumWorstGoal * r.Optimum),
            ["optimum, loads for waiting jobs"] = g.Sum(r => r.Waiting),
            ["x that mean"] = Math.Round(g.Average(r => (double)r.Dpr / r.Waiting), 3),
            ["x that worst"] = Math.Round(g.Max(r => (double)r.Dpr / r.Waiting), 3),
            ["reloads for jobs left waiting"] = g.Sum(r => r.Reloads),
            ["max wait ms"] = Math.Round(g.Max(r => r.MaxWait).TotalMilliseconds, 2),
            ["bound ms"] = options.AgingBound.TotalMilliseconds,
        }).ToList();
        // The instances to read (docs/scheduler.md analyses them): each is OfflineInstance.Random(seed, ...) as built above.
        var above = results.Where(r => r.Dpr > OptimumWorstGoal * r.Optimum).OrderByDescending(r => (double)r.Dpr / r.Optimum).ThenBy(r => r.Seed);
        console.MarkupLineInterpolated($"instances above {OptimumWorstGoal}x the optimum (seed: partitions, dpr / optimum loads): {string.Join(", ", above.Select(r => $"{r.Seed}: {r.Partitions}p {r.Dpr}/{r.Optimum}"))}");
        var ratios = results.Select(r => (double)r.Dpr / r.Optimum).ToList();
        List<BenchGoal> goals =
        [
            BenchGoal.AtMost("dpr reconfigurations / CP-SAT optimum, worst small instance", OptimumWorstGoal, Math.Round(ratios.Max(), 3), "x"),
            BenchGoal.AtMost("dpr reconfigurations / CP-SAT optimum, mean over small instances", OptimumMeanGoal, Math.Round(ratios.Average(), 3), "x"),
            BenchGoal.AtMost("dpr max wait on the small instances", options.AgingBound.TotalMilliseconds, Math.Round(results.Max(r => r.MaxWait).TotalMilliseconds, 2), "ms"),
        ];
        return (rows, goals);
    }

    private static List<BenchGoal> Goals(List<IReadOnlyDictionary<string, object?>> rows, TimeSpan bound)
    {
        var dpr = rows.Where(r => (string)r["policy"]! == "dpr").ToList();
        double Get(IReadOnlyDictionary<string, object?> r, string key) => Convert.ToDouble(r[key], System.Globalization.CultureInfo.InvariantCulture);
        var worstRatio = dpr.Max(r => Get(r, "x lower bound"));
        var worstRatioUpTo90 = dpr.Where(r => Get(r, "load") <= 0.9).Max(r => Get(r, "x lower bound"));
        var zipf90 = dpr.Where(r => (string)r["popularity"]! == "zipf 1.0" && Get(r, "load") == 0.9).ToList();
        var arrivalOverDpr = zipf90.Min(d => rows
            .Where(r => (string)r["policy"]! == "arrival" && (string)r["popularity"]! == "zipf 1.0" && Get(r, "load") == 0.9 && Get(r, "partitions") == Get(d, "partitions"))
            .Select(r => Get(r, "reconfigs") / Math.Max(1, Get(d, "reconfigs")))
            .Single());
        return
        [
            BenchGoal.AtMost("dpr reconfigurations / lower bound, worst configuration", LowerBoundGoal, Math.Round(worstRatio, 3), "x"),
            BenchGoal.AtMost("dpr reconfigurations / lower bound, worst at <= 90% load", LowerBoundGoal, Math.Round(worstRatioUpTo90, 3), "x"),
            BenchGoal.AtLeast("arrival-order / dpr reconfigurations, zipf 1.0 at 90% (worst of 1 and 4 partitions)", ArrivalRatioGoal, Math.Round(arrivalOverDpr, 1), "x"),
            BenchGoal.AtMost("dpr p99 wait, worst configuration", bound.TotalMilliseconds, Math.Round(dpr.Max(r => Get(r, "p99 wait ms")), 2), "ms"),
            BenchGoal.AtLeast("dpr Jain index over tenants' mean wait, worst configuration", JainGoal, Math.Round(dpr.Min(r => Get(r, "Jain")), 4), ""),
        ];
    }

    private static Dictionary<string, object?> Row(string popularity, double load, int partitions, string policy, Outcome o, int? lowerBound, TimeSpan bound)
    {
        var n = o.StartAt.Length;
        var waits = Enumerable.Range(0, n).Select(i => (o.StartAt[i] - o.AdmittedAt[i]).TotalMilliseconds).Order().ToArray();
        var tenantMeans = Enumerable.Range(0, Tenants)
            .Select(t => Enumerable.Range(0, n).Where(i => o.Tenant[i] == t).Select(i => waits.Length == 0 ? 0 : (o.StartAt[i] - o.AdmittedAt[i]).TotalMilliseconds).DefaultIfEmpty(0).Average())
            .ToArray();
        var makespan = (o.End - o.Begin).TotalSeconds;
        return new Dictionary<string, object?>
        {
            ["popularity"] = popularity,
            ["load"] = load,
            ["partitions"] = partitions,
            ["policy"] = policy,
            ["jobs"] = n,
            ["refused jobs"] = o.RefusedJobs,
            ["refusals"] = o.Refusals,
            ["reconfigs"] = o.Loads,
            ["per 1k jobs"] = Math.Round(1000.0 * o.Loads / n, 2),
            ["prefetches"] = o.Prefetches,
            ["lower bound"] = lowerBound,
            ["x lower bound"] = lowerBound is { } lb ? Math.Round((double)o.Loads / lb, 3) : null,
            ["reconfig % time"] = Math.Round(100 * o.Loads * o.SwapCost.TotalSeconds / (partitions * makespan), 2),
            ["jobs/s"] = Math.Round(n / makespan, 0),
            ["mean wait ms"] = Math.Round(waits.Average(), 2),
            ["p50 wait ms"] = Math.Round(Percentile(waits, 0.50), 2),
            ["p99 wait ms"] = Math.Round(Percentile(waits, 0.99), 2),
            ["max wait ms"] = Math.Round(waits[^1], 2),
            ["bound ms"] = bound.TotalMilliseconds,
            ["Jain"] = Math.Round(Jain(tenantMeans), 4),
        };
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Jain's index (Σx)² / (n·Σx²): 1 when all tenants see the same, 1/n when one gets everything.</summary>
    private static double Jain(double[] x)
    {
        var sumSquares = x.Sum(v => v * v);
        return sumSquares == 0 ? 1 : x.Sum() * x.Sum() / (x.Length * sumSquares);
    }

    /// <summary>
    /// Per module, the run times of realistic jobs: each <see cref="CnnWorkload"/> layer that uses it and
    /// a single-channel 224x224 image with one kernel (the paper's unit), at the paper's GOPS.
    /// </summary>
    internal static Dictionary<string, TimeSpan[]> JobSizes() => ConvModule.All.ToDictionary(
        m => m.Name.Value,
        m => CnnWorkload.All.Where(l => l.Module == m).Select(l => l.MultiplyAccumulates)
            .Append(224L * 224 * m.KernelSize * m.KernelSize)
            .Select(mac => TimeSpan.FromSeconds(2.0 * mac / (ModuleThroughput.Paper.GopsFor(m.Bits) * 1e9)))
            .ToArray(),
        StringComparer.Ordinal);

    /// <summary>Jobs per second <see cref="Generate"/> makes arrive: <paramref name="load"/> of the capacity of <paramref name="partitions"/>
    /// partitions computing and never reconfiguring.</summary>
    internal static double ArrivalRate(double zipf, double load, int partitions, Dictionary<string, TimeSpan[]> sizes)
    {
        var popularity = Popularity(zipf);
        var meanRun = ConvModule.All.Select((m, i) => popularity[i] * sizes[m.Name.Value].Average(t => t.TotalSeconds)).Sum();
        return load * partitions / meanRun;
    }

    internal static Arrival[] Generate(int count, double zipf, double load, int partitions, Dictionary<string, TimeSpan[]> sizes, ulong seed)
    {
        var modules = ConvModule.All.Select(m => m.Name.Value).ToArray();
        var popularity = Popularity(zipf);
        var rate = ArrivalRate(zipf, load, partitions, sizes);
        var rng = new SplitMix64(seed);
        var time = 0.0;
        var arrivals = new Arrival[count];
        for (var i = 0; i < count; i++)
        {
            time += -Math.Log(1 - rng.NextDouble()) / rate;
            var u = rng.NextDouble();
            var m = 0;
            while (m < modules.Length - 1 && u >= popularity[m])
            {
                u -= popularity[m];
                m++;
            }
            var options = sizes[modules[m]];
            arrivals[i] = new Arrival(
                T0 + TimeSpan.FromTicks((long)(time * TimeSpan.TicksPerSecond)),
                (int)(rng.Next() % Tenants),
                modules[m],
                options[(int)(rng.Next() % (ulong)options.Length)]);
        }
        return arrivals;
    }

    private static double[] Popularity(double zipf)
    {
        var weights = Enumerable.Range(1, ConvModule.All.Count).Select(k => 1 / Math.Pow(k, zipf)).ToArray();
        var total = weights.Sum();
        return [.. weights.Select(w => w / total)];
    }

    internal sealed record Arrival(DateTimeOffset At, int Tenant, string Module, TimeSpan Run);

    /// <param name="LoadLog">Every load: when it began, the partition (index), the module, in time order.</param>
    /// <param name="StartedOn">Per job, the partition (index) it started on.</param>
    private sealed record Outcome(DateTimeOffset[] AdmittedAt, DateTimeOffset[] StartAt, int[] Tenant, int Prefetches, int RefusedJobs, int Refusals, DateTimeOffset Begin, DateTimeOffset End, TimeSpan SwapCost, IReadOnlyList<(DateTimeOffset At, int Partition, string Module)> LoadLog, int[] StartedOn)
    {
        public int Loads => LoadLog.Count;

        /// <summary>
        /// Loads that start a job admitted before an earlier residency of the same module ended: the module was
        /// left while that job waited and had to come back for it. Only these could a scheduler that plans over
        /// the jobs it knows (instead of lazy EDF) have saved; every other load serves jobs that arrived after
        /// their module was last left.
        /// </summary>
        public int ReloadsForJobsLeftWaiting()
        {
            var residencies = LoadLog.GroupBy(l => l.Partition).SelectMany(g =>
            {
                var list = g.ToList();
                return list.Select((l, k) => (l.Partition, l.Module, Begin: l.At, End: k + 1 < list.Count ? list[k + 1].At : DateTimeOffset.MaxValue));
            }).ToList();
            return residencies.Count(r =>
            {
                var left = residencies.Where(q => q.Module == r.Module && q.End <= r.Begin).Select(q => q.End).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
                return Enumerable.Range(0, StartAt.Length).Any(j => StartedOn[j] == r.Partition && StartAt[j] >= r.Begin && StartAt[j] < r.End && AdmittedAt[j] < left);
            });
        }
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): the same stream on every runtime for a seed.</summary>
    internal sealed class SplitMix64(ulong seed)
    {
        private ulong state = seed;

        public ulong Next()
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>One run of one policy over one arrival sequence, in virtual time.</summary>
    private sealed class Simulation(Arrival[] arrivals, int partitionCount, TimeSpan swapCost)
    {
        private readonly PriorityQueue<(Kind Kind, int Index), (DateTimeOffset At, long Seq)> events = new();
        private readonly Slot[] slots = Enumerable.Range(0, partitionCount).Select(i => new Slot($"pr_{i}")).ToArray();
        private readonly string[] allModules = ConvModule.All.Select(m => m.Name.Value).ToArray();
        private readonly DateTimeOffset[] admittedAt = new DateTimeOffset[arrivals.Length];
        private readonly DateTimeOffset[] startAt = new DateTimeOffset[arrivals.Length];
        private readonly int[] startedOn = new int[arrivals.Length];
        private readonly List<(DateTimeOffset At, int Partition, string Module)> loadLog = [];
        private readonly Dictionary<JobId, int> byId = [];
        private long seq;
        private int prefetches;
        private int refusals;
        private readonly HashSet<int> refusedJobs = [];
        private int completed;
        private DateTimeOffset end;

        private enum Kind
        {
            Arrival,
            Free,
            Wake,
        }

        /// <summary>
        /// dpr: the service's <see cref="SchedulingDriver"/> decides; this loop plays the region managers
        /// (a load is answered and the partition reported loaded after a swap) and the modules (a job ends
        /// after its run time). Admission is the scheduler's, as the intake's bounds would be.
        /// </summary>
        public Outcome RunDpr(SchedulerOptions options)
        {
            var hosts = allModules.Select(m => new ModuleName(m)).ToList();
            var driver = new SchedulingDriver(options, slots.Select(s => (new PartitionName(s.Name), (IReadOnlyCollection<ModuleName>)hosts)));
            var incarnation = Guid.NewGuid();
            var wakes = new SortedSet<DateTimeOffset>();
            var observed = 0L;
            void Carry(IReadOnlyList<DriverCommand> commands, DateTimeOffset now)
            {
                foreach (var command in commands)
                {
                    switch (command)
                    {
                        case DriverCommand.Start start:
                            Start(slots.Single(s => s.Name == start.Partition.Value), byId[start.Job.Id], now);
                            break;
                        case DriverCommand.Load load:
                            prefetches += load.Prefetch ? 1 : 0;
                            BeginLoad(slots.Single(s => s.Name == load.Partition.Value), load.Module.Value, null, now);
                            break;
                        case DriverCommand.WakeAt { At: var until } when until > now && wakes.Add(until):
                            Push(until, Kind.Wake, -1);
                            break;
                        case DriverCommand.StartOnCpu or DriverCommand.Fail or DriverCommand.AskState:
                            throw new InvalidOperationException($"the simulated board never faults or refuses, yet the driver said {command}");
                    }
                }
            }
            Schedule(arrivals);
            foreach (var slot in slots)
            {
                Carry(driver.Observe(new RegionObservation(new PartitionName(slot.Name), incarnation, observed++, RegionStatus.Empty, null, null), arrivals[0].At), arrivals[0].At);
            }
            while (events.TryDequeue(out var e, out var key))
            {
                var now = key.At;
                switch (e.Kind)
                {
                    case Kind.Arrival:
                        var a = arrivals[e.Index];
                        var id = Id(e.Index);
                        var job = new QueuedJob(id, $"tenant-{a.Tenant}", a.Module, now, EstimatedRun: a.Run);
                        byId[id] = e.Index;
                        var (admission, commands) = driver.Submit(job, now);
                        if (admission is Admission.Refused refused)
                        {
                            // A well-behaved client: back off as told, then submit again.
                            refusals++;
                            refusedJobs.Add(e.Index);
                            Push(now + refused.RetryAfter, Kind.Arrival, e.Index);
                            break;
                        }
                        admittedAt[e.Index] = now;
                        Carry(commands, now);
                        break;
                    case Kind.Free:
                        var slot = slots[e.Index];
                        var loaded = slot.Loading;
                        Free(slot, now, j => Carry(driver.Ended(Id(j), now), now));
                        if (loaded is not null)
                        {
                            var partition = new PartitionName(slot.Name);
                            Carry(driver.Observe(new RegionObservation(partition, incarnation, observed++, RegionStatus.Loaded, new ModuleName(loaded), now), now), now);
                            Carry(driver.LoadAnswered(partition, new ModuleName(loaded), null, now), now);
                        }
                        break;
                    case Kind.Wake:
                        wakes.Remove(now);
                        Carry(driver.Tick(now), now);
                        break;
                }
            }
            return Finish(driver.Scheduler.QueuedCount);
        }

        public Outcome RunArrivalOrder(string policy)
        {
            var queue = new Queue<int>();
            Schedule(arrivals);
            while (events.TryDequeue(out var e, out var key))
            {
                var now = key.At;
                if (e.Kind == Kind.Arrival)
                {
                    admittedAt[e.Index] = now;
                    queue.Enqueue(e.Index);
                }
                else
                {
                    Free(slots[e.Index], now, _ => { });
                }
                // Strict arrival order: only the head may start; load its module on demand.
                while (queue.Count > 0 && slots.Any(s => !s.Busy))
                {
                    var head = queue.Peek();
                    var module = arrivals[head].Module;
                    var idle = slots.Where(s => !s.Busy).ToList();
                    var hit = idle.FirstOrDefault(s => s.Module == module);
                    queue.Dequeue();
                    if (hit is not null)
                    {
                        Start(hit, head, now);
                        continue;
                    }
                    // An empty partition first; else the first idle one (arrival), or the victim LRU or FIFO picks.
                    var victim = idle.FirstOrDefault(s => s.Module is null)?.Name ?? policy switch
                    {
                        "lru" => Placement.Victim(PlacementPolicy.Lru, Views(idle), _ => DateTimeOffset.MaxValue).Name,
                        "fifo" => Placement.Victim(PlacementPolicy.Fifo, Views(idle), _ => DateTimeOffset.MaxValue).Name,
                        _ => idle[0].Name,
                    };
                    BeginLoad(slots.Single(s => s.Name == victim), module, head, now);
                }
            }
            return Finish(queue.Count);
        }

        private List<PartitionView> Views(IEnumerable<Slot> idle) =>
            idle.Select(s => new PartitionView(s.Name, s.Module, false, s.LoadedAt, s.LastUsed, allModules)).ToList();

        private void Schedule(Arrival[] all)
        {
            for (var i = 0; i < all.Length; i++)
            {
                Push(all[i].At, Kind.Arrival, i);
            }
        }

        private void Push(DateTimeOffset at, Kind kind, int index) => events.Enqueue((kind, index), (at, seq++));

        private void Start(Slot slot, int job, DateTimeOffset now)
        {
            startAt[job] = now;
            startedOn[job] = Array.IndexOf(slots, slot);
            slot.Busy = true;
            slot.Running = job;
            Push(now + arrivals[job].Run, Kind.Free, Array.IndexOf(slots, slot));
        }

        private void BeginLoad(Slot slot, string module, int? then, DateTimeOffset now)
        {
            loadLog.Add((now, Array.IndexOf(slots, slot), module));
            slot.Busy = true;
            slot.Loading = module;
            slot.Then = then;
            Push(now + swapCost, Kind.Free, Array.IndexOf(slots, slot));
        }

        private void Free(Slot slot, DateTimeOffset now, Action<int> completedJob)
        {
            slot.Busy = false;
            slot.LastUsed = now;
            if (slot.Loading is { } module)
            {
                slot.Module = module;
                slot.LoadedAt = now;
                slot.Loading = null;
                if (slot.Then is { } job)
                {
                    slot.Then = null;
                    Start(slot, job, now);
                }
                return;
            }
            if (slot.Running is { } done)
            {
                slot.Running = null;
                completed++;
                end = now;
                completedJob(done);
            }
        }

        private static JobId Id(int index) => new(new Guid(index, 0, 0, new byte[8]));

        private Outcome Finish(int stillQueued)
        {
            if (completed != arrivals.Length || stillQueued != 0)
            {
                throw new InvalidOperationException($"simulation ended with {completed} of {arrivals.Length} jobs completed and {stillQueued} still queued");
            }
            return new Outcome(admittedAt, startAt, arrivals.Select(a => a.Tenant).ToArray(), prefetches, refusedJobs.Count, refusals, arrivals[0].At, end, swapCost, loadLog, startedOn);
        }

        private sealed class Slot(string name)
        {
            public string Name { get; } = name;

            public string? Module { get; set; }

            public bool Busy { get; set; }

            public string? Loading { get; set; }

            public int? Then { get; set; }

            public int? Running { get; set; }

            public DateTimeOffset? LoadedAt { get; set; }

            public DateTimeOffset? LastUsed { get; set; }
        }
    }
}
