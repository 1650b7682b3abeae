using System.Globalization;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// The scheduling decision, pure and deterministic: no clock (time comes in as arguments), no
/// randomness, no hash-order dependence (modules, tenants and partitions are visited in ordinal order,
/// jobs in admission order). The owner (the scheduler actor, or the benchmark's simulation) calls
/// <see cref="Next"/> for every idle partition, in name order, after each submission, completion or
/// swap, and again at the time a <see cref="Assignment.Hold"/> names.
/// </summary>
/// <remarks>
/// Policy. A queue per module. A partition keeps running its module's jobs (weighted fair between
/// tenants) up to <see cref="SchedulerOptions.BatchBound"/> in a row. It leaves only when another
/// module's jobs would otherwise miss the aging bound: modules are ordered by their oldest job's
/// start-by time (earliest deadline first) and a module that no partition holds becomes due once
/// "now + the work queued ahead of it per partition + a swap + the margin" reaches that time. Waiting
/// until a module is due, instead of switching as soon as a queue empties, is what groups jobs: each
/// module is loaded about once per aging bound whatever the load, the fewest the bound allows.
/// A module whose partitions cannot drain its queue within the bound gets another partition, and
/// <see cref="SchedulerOptions.SwitchWorth"/> lets idle partitions switch early when enough work waits.
/// Urgency is fair between tenants: a job is never more urgent than its tenant's turn
/// (<see cref="TenantShares"/>), so a tenant's backlog, however old, delays only that tenant; the others'
/// jobs keep their aging bound, give or take the job running when they fall due.
/// </remarks>
public sealed class JobScheduler
{
    private readonly SchedulerOptions options;
    private readonly SortedDictionary<string, ModuleQueue> queues = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> perTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<JobId, QueueEntry> queued = [];
    private readonly Dictionary<JobId, QueuedJob> running = [];
    /// <summary>Running jobs charged to their tenant's share (those on a partition, not the CPU's).</summary>
    private readonly HashSet<JobId> charged = [];
    private readonly TenantShares shares;
    private readonly ArrivalRates arrivals;
    private readonly Dictionary<string, string> pendingLoads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Residency> residencies = new(StringComparer.Ordinal);
    private long sequence;
    private long queuedWork;
    private int cpuAllowedQueued;
    private int partitionCount = 1;
    private List<PartitionView> lastUsable = [];

    public JobScheduler(SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        shares = new TenantShares(options.WeightOf, options.Margin);
        arrivals = new ArrivalRates(options.RateWindow);
    }

    public SchedulerOptions Options => options;

    public int QueuedCount => queued.Count;

    public int RunningCount => running.Count;

    /// <summary>Estimated module time of everything queued.</summary>
    public TimeSpan QueuedWork => TimeSpan.FromTicks(queuedWork);

    public IReadOnlyDictionary<string, int> QueueDepthByModule() =>
        queues.Where(q => q.Value.Count > 0).ToDictionary(q => q.Key, q => q.Value.Count, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> QueueDepthByTenant() =>
        perTenant.Where(t => t.Value > 0).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);

    public bool IsQueued(JobId id) => queued.ContainsKey(id);

    public bool IsRunning(JobId id) => running.ContainsKey(id);

    /// <summary>
    /// Admits a job or refuses it with backpressure: the global bound on queued jobs, the tenant's quota,
    /// or a backlog that would not start within the aging bound. Nothing is changed on refusal.
    /// </summary>
    public Admission TryEnqueue(QueuedJob job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(job.Tenant, nameof(job));
        ArgumentException.ThrowIfNullOrWhiteSpace(job.Module, nameof(job));
        if (queued.ContainsKey(job.Id) || running.ContainsKey(job.Id))
        {
            return new Admission.Refused(RefusalReason.Duplicate, $"job {job.Id} is already queued or running", TimeSpan.Zero);
        }
        var cost = CostOf(job);
        shares.Advance(now);
        if (queued.Count >= options.MaxQueuedJobs)
        {
            var perJob = queuedWork / (double)Math.Max(1, queued.Count) / partitionCount;
            var retry = Retry(perJob * (queued.Count - options.MaxQueuedJobs + 1));
            return new Admission.Refused(
                RefusalReason.QueueFull,
                Invariant($"queue full: {queued.Count} jobs queued (limit {options.MaxQueuedJobs}); retry after {retry.TotalMilliseconds:0.###} ms"),
                retry);
        }
        var tenantCount = perTenant.GetValueOrDefault(job.Tenant);
        if (tenantCount >= options.MaxQueuedPerTenant)
        {
            // One of the tenant's jobs starts about every (its share of the partitions)^-1 job times.
            var active = Math.Max(1, perTenant.Count(t => t.Value > 0));
            var perJob = queuedWork / (double)Math.Max(1, queued.Count) * active / partitionCount;
            var retry = Retry(perJob * (tenantCount - options.MaxQueuedPerTenant + 1));
            return new Admission.Refused(
                RefusalReason.TenantQuota,
                Invariant($"tenant '{job.Tenant}' has {tenantCount} jobs queued (quota {options.MaxQueuedPerTenant}); retry after {retry.TotalMilliseconds:0.###} ms"),
                retry);
        }
        // Backpressure on time, not only on counts: refuse when the queues as they stand, served from
        // now without any grouping delay, would already start some job after its bound.
        var (plan, round) = Plan(lastUsable, now);
        // The margin is the scheduler's own buffer: its due times aim at it, so noise of half of it is tolerated.
        var behind = plan.Count == 0 ? double.NegativeInfinity : plan.Max(m => m.Lateness) - options.Margin.Ticks / 2.0;
        var held = lastUsable.Any(p => Holding(p) == job.Module);
        if (held || !plan.Any(m => m.Module == job.Module))
        {
            // A module nobody waits for joins the end of the round; one that is loaded may have closed its
            // gate, and then the job waits for the next round. That estimate is coarser than the plan's (the
            // next visit also serves, in fair order, what arrives for the module meanwhile), so the margin is
            // kept for its error: at 120% load, retries that came back together were admitted into their
            // loaded module's next round up to the bound itself and started up to 19 ms past it.
            var wait = round + (held ? options.SwapCost.Ticks / (double)partitionCount : 0) + options.SwapCost.Ticks / (double)partitionCount;
            behind = Math.Max(behind, wait - (options.AgingBound - options.Margin).Ticks);
        }
        if (behind > 0)
        {
            // Not sooner than the margin: the backlog drains at about one second per second.
            var retry = Retry(Math.Max(behind, options.Margin.Ticks));
            return new Admission.Refused(
                RefusalReason.Backlog,
                Invariant($"the queued work would start a job {behind / TimeSpan.TicksPerMillisecond:0.###} ms past the {options.AgingBound.TotalMilliseconds:0.###} ms aging bound; retry after {retry.TotalMilliseconds:0.###} ms"),
                retry);
        }
        Add(job);
        return Admission.Admit;
    }

    /// <summary>Removes a queued job; a running one is only reported, for the caller to stop at a safe point.</summary>
    public CancelOutcome Cancel(JobId id)
    {
        if (queued.TryGetValue(id, out var entry))
        {
            Remove(entry);
            return CancelOutcome.Cancelled;
        }
        return running.ContainsKey(id) ? CancelOutcome.Running : CancelOutcome.Unknown;
    }

    /// <summary>The job handed out by <see cref="Next"/> or <see cref="TakeForCpu"/> finished (or was stopped); false if it was not running.</summary>
    public bool Completed(JobId id)
    {
        if (!running.Remove(id, out var job))
        {
            return false;
        }
        charged.Remove(id);
        shares.Leave(job.Tenant);
        return true;
    }

    /// <summary>
    /// <see cref="Completed(JobId)"/> for a job handed out by <see cref="Next"/> that ran <paramref name="ran"/>
    /// on its partition: its tenant is charged what it took instead of its estimate, so a wrong estimate
    /// costs the others one job's worth of error at most. False if it was not running.
    /// </summary>
    public bool Finished(JobId id, TimeSpan ran, DateTimeOffset now)
    {
        shares.Advance(now);
        if (running.TryGetValue(id, out var job) && charged.Contains(id))
        {
            var cost = CostOf(job);
            var error = Math.Max(1, ran.Ticks) - cost;
            shares.Correct(job.Tenant, error);
            if (queues.TryGetValue(job.Module, out var queue))
            {
                queue.Correct(job.Tenant, error, cost);
            }
        }
        return Completed(id);
    }

    /// <summary>
    /// A job handed back by a swap or a crash: queued again with its original
    /// <see cref="QueuedJob.EnqueuedAt"/>, so its aging bound still counts from acceptance. Quotas do not
    /// apply (it was admitted once). A job that is already queued is left alone.
    /// </summary>
    public void Requeue(QueuedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var handedBack = running.Remove(job.Id);
        if (handedBack)
        {
            // It did not run to an end: its charge is refunded, and it is charged again when it starts.
            if (charged.Remove(job.Id))
            {
                shares.Correct(job.Tenant, -CostOf(job));
            }
            shares.Leave(job.Tenant);
        }
        if (!queued.ContainsKey(job.Id))
        {
            Add(job, arrived: !handedBack);
        }
    }

    /// <summary>
    /// What the idle partition <paramref name="partition"/> should do now: run a job of its module, load
    /// another module, hold (jobs are queued but grouping says wait), or null when nothing is queued or the
    /// partition is busy or faulted.
    /// </summary>
    public Assignment? Next(string partition, IReadOnlyList<PartitionView> partitions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var self = partitions.FirstOrDefault(p => p.Name == partition)
            ?? throw new ArgumentException($"partition '{partition}' is not among the views", nameof(partition));
        if (self.Busy || self.Faulted)
        {
            return null;
        }
        // Idle means any swap it was doing is over; the view is the truth from here on. A residency
        // starts when a partition is first seen idle with a module.
        pendingLoads.Remove(self.Name);
        if (!residencies.TryGetValue(self.Name, out var residency) || residency.Module != self.Module || residency.Since is null)
        {
            residency = new Residency(self.Module, 0, now);
            residencies[self.Name] = residency;
        }
        var usable = partitions.Where(p => !p.Faulted).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        partitionCount = Math.Max(1, usable.Count);
        lastUsable = usable;
        shares.Partitions = partitionCount;
        shares.Advance(now);
        if (queued.Count == 0)
        {
            return Prefetch(self, usable, [], null, now);
        }
        var (plan, _) = Plan(usable, now);
        var resident = self.Module;
        var residentQueue = resident is not null && queues.TryGetValue(resident, out var rq) && rq.Count > 0 ? rq : null;

        // The batch bound ends a residency only for a module whose jobs come no later than the resident's
        // in fair order: a tenant owed its share is not sent away from its module for having small jobs.
        var residentNext = residentQueue?.MostUrgent(t => shares.Turn(t, now));
        var batchDone = residency.Count >= options.BatchBound
            && plan.Any(m => m.Module != resident && m.Servers == 0 && Hosts(self, m.Module) && (residentNext is not { } r || m.StartBy <= r.UrgentAt));

        // Gated service (as in polling systems): the jobs that were waiting when the module arrived are
        // served before it leaves, so an overloaded board does not thrash one job per swap. For one aging
        // bound at most: a backlog that arrived before the module must not hold other modules past theirs.
        var gated = residentQueue is not null && !batchDone && residentQueue.Oldest.Job.EnqueuedAt <= residency.Since
            && now - residency.Since < options.AgingBound;

        // 1. A module no partition holds is due: the round must start now, from the most urgent job (EDF),
        //    so load the earliest module up to the due one that belongs here. Jobs do not stop once started,
        //    so a module is due already if the job this partition would run next ends past its due time.
        var waiting = plan.Where(m => m.Servers == 0 && Hosts(self, m.Module)).ToList();
        var horizon = now.UtcTicks + (residentNext?.Entry.Cost ?? 0);
        var lastDue = waiting.FindLastIndex(m => horizon >= m.DueAt.UtcTicks);
        foreach (var due in waiting.Take(lastDue + 1))
        {
            if (residentNext is { } next && (gated || (!batchDone && next.UrgentAt <= due.StartBy)))
            {
                break;
            }
            if (Place(due, usable, plan, self.Name, now) == self.Name)
            {
                return Load(self, due.Module);
            }
        }

        // 2. Keep running the loaded module, up to the batch bound when others wait.
        if (residentQueue is not null)
        {
            if (batchDone)
            {
                var other = plan.FirstOrDefault(m => m.Module != resident && m.Servers == 0 && Hosts(self, m.Module) && m.StartBy <= residentNext!.Value.UrgentAt);
                if (other is not null && Place(other, usable, plan, self.Name, now) == self.Name)
                {
                    return Load(self, other.Module);
                }
            }
            return Run(self, residentQueue, now, gated ? residency.Since : null);
        }

        // 2b. An empty partition evicts nothing by loading: with LoadEmptyAtOnce it loads the most urgent waiting
        //     module now instead of holding it until due (the load would come anyway; only the wait is saved).
        if (options.LoadEmptyAtOnce && self.Module is null && waiting.Count > 0 && Place(waiting[0], usable, plan, self.Name, now) == self.Name)
        {
            return Load(self, waiting[0].Module);
        }

        // 3. Nothing left here: add a partition to a module that cannot keep its bound, or switch early when worth it.
        //    (Filling an empty partition at once by default was tried: more reconfigurations, no more throughput.)
        //    Not for a module whose partitions drain it within a swap (two short jobs behind a short one
        //    once loaded a second copy that evicted a module needed again).
        var candidates = plan
            .Where(m => m.Module != resident && Hosts(self, m.Module))
            .Select(m => (Plan: m, Overloaded: m.Servers > 0 && now >= m.DueAt && m.Jobs > m.Loading && !DrainsWithinSwap(m), Share: m.Work / (double)(m.Servers + 1)))
            .Where(c => c.Overloaded || (options.SwitchWorth is { } worth && c.Share >= worth.Ticks))
            .OrderByDescending(c => c.Overloaded)
            .ThenBy(c => c.Overloaded ? c.Plan.StartBy.UtcTicks : 0)
            .ThenByDescending(c => c.Share)
            .ThenBy(c => c.Plan.Module, StringComparer.Ordinal);
        foreach (var (candidate, _, _) in candidates)
        {
            if (Place(candidate, usable, plan, self.Name, now) == self.Name)
            {
                return Load(self, candidate.Module);
            }
        }

        // 4. Prefetch: nothing is queued for this partition's module, so loading the module it predicts next
        //    evicts no queued work. While the board has spare capacity, load ahead of its due time the module
        //    it would load next anyway, or with nothing waiting, the one whose jobs arrive most often.
        // 5. Hold until the next module falls due.
        return (Assignment?)Prefetch(self, usable, plan, waiting.FirstOrDefault(), now) ?? new Assignment.Hold(plan
            .Where(m => m.Module != resident && Hosts(self, m.Module) && m.DueAt > now)
            .Select(m => (DateTimeOffset?)m.DueAt)
            .Min());
    }

    /// <summary>
    /// Step 4 of <see cref="Next"/>, for an idle partition whose module has no queued job (so a load evicts no
    /// queued work): the load of <paramref name="next"/> (the first waiting module it hosts, in EDF order) or,
    /// with none, of the likeliest module, if prefetch is on, the board has spare capacity and the placement
    /// policy picks this partition; else null.
    /// </summary>
    private Assignment.Load? Prefetch(PartitionView self, List<PartitionView> usable, List<ModulePlan> plan, ModulePlan? next, DateTimeOffset now) =>
        options.Prefetch && arrivals.Work(now) / partitionCount < options.PrefetchBelowLoad
            && (next ?? Likeliest(self, usable, now)) is { } predicted
            && Place(predicted, usable, plan, self.Name, now, speculative: true) == self.Name
            ? Load(self, predicted.Module, prefetch: true)
            : null;

    /// <summary>
    /// Jobs for the CPU kernel, in start-by order, marked running: every queued job when the board is
    /// faulted; otherwise the jobs whose tenant allows the CPU and whose module no usable partition holds
    /// (they would wait for a swap). Complete them with <see cref="Completed"/>.
    /// </summary>
    public IReadOnlyList<QueuedJob> TakeForCpu(IReadOnlyList<PartitionView> partitions, bool boardFaulted, int max = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        // Called after every event: without a job that may go to the CPU, no walk over the backlog.
        if (!boardFaulted && cpuAllowedQueued == 0)
        {
            return [];
        }
        var held = partitions.Where(p => !p.Faulted).Select(Holding).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var taken = queues.Values
            .SelectMany(q => q.InStartByOrder)
            .Where(e => boardFaulted || (e.Job.CpuFallbackAllowed && !held.Contains(e.Job.Module)))
            .Order(QueueEntry.ByStartBy)
            .Take(max)
            .ToList();
        foreach (var entry in taken)
        {
            // Running now, so its tenant keeps its share until it completes (not charged: it takes no partition).
            queues[entry.Job.Module].Remove(entry);
            Forget(entry);
            running.Add(entry.Job.Id, entry.Job);
        }
        return taken.Select(e => e.Job).ToList();
    }

    /// <param name="arrived">A new job (counted in the arrival rates), not one handed back.</param>
    private void Add(QueuedJob job, bool arrived = true)
    {
        var startBy = job.EnqueuedAt + options.AgingBound;
        if (job.Deadline is { } deadline && deadline < startBy)
        {
            // A deadline already passed means "at once": no earlier than acceptance, so no date arithmetic
            // below can leave the calendar (a deadline of 0001-01-01 once stalled the whole board).
            startBy = deadline < job.EnqueuedAt ? job.EnqueuedAt : deadline;
        }
        var entry = new QueueEntry(job, sequence++, startBy, CostOf(job));
        if (!queues.TryGetValue(job.Module, out var queue))
        {
            queue = new ModuleQueue(job.Module);
            queues.Add(job.Module, queue);
        }
        queue.Add(entry);
        queued.Add(job.Id, entry);
        shares.Join(job.Tenant);
        perTenant[job.Tenant] = perTenant.GetValueOrDefault(job.Tenant) + 1;
        queuedWork += entry.Cost;
        cpuAllowedQueued += job.CpuFallbackAllowed ? 1 : 0;
        if (arrived)
        {
            arrivals.Arrived(job.Module, entry.Cost, job.EnqueuedAt);
        }
    }

    /// <summary>A queued job leaves for good (cancelled).</summary>
    private void Remove(QueueEntry entry)
    {
        queues[entry.Job.Module].Remove(entry);
        Forget(entry);
        shares.Leave(entry.Job.Tenant);
    }

    private void Forget(QueueEntry entry)
    {
        queued.Remove(entry.Job.Id);
        perTenant[entry.Job.Tenant]--;
        queuedWork -= entry.Cost;
        cpuAllowedQueued -= entry.Job.CpuFallbackAllowed ? 1 : 0;
    }

    private Assignment.Run Run(PartitionView self, ModuleQueue queue, DateTimeOffset now, DateTimeOffset? gate)
    {
        // Fair order (within the gated batch while there is one), unless a job is about to reach its
        // bound: aging beats fairness. Urgency waits for the tenant's turn, so the job that jumps the fair
        // order is never one of a backlog its own tenant has built beyond its share.
        var (urgent, urgentAt) = queue.MostUrgent(t => shares.Turn(t, now));
        var entry = urgentAt - options.Margin <= now
            ? queue.Take(urgent)
            : queue.TakeFair(options.WeightOf, options.FairnessQuantum.Ticks, e => gate is not { } g || e.Job.EnqueuedAt <= g)
                ?? queue.Take(urgent);
        Forget(entry);
        running.Add(entry.Job.Id, entry.Job);
        charged.Add(entry.Job.Id);
        shares.Charge(entry.Job.Tenant, entry.Cost);
        var residency = residencies[self.Name];
        residencies[self.Name] = residency with { Count = residency.Count + 1 };
        return new Assignment.Run(entry.Job);
    }

    private Assignment.Load Load(PartitionView self, string module, bool prefetch = false)
    {
        pendingLoads[self.Name] = module;
        residencies[self.Name] = new Residency(module, 0, null);
        return new Assignment.Load(module, self.Module, prefetch);
    }

    /// <summary>
    /// With nothing waiting: the module <paramref name="self"/> hosts whose jobs arrive most often, among those
    /// no partition holds, if they arrive more often than its own module's (then by name). Null if none.
    /// </summary>
    private ModulePlan? Likeliest(PartitionView self, List<PartitionView> usable, DateTimeOffset now)
    {
        var held = usable.Select(Holding).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var own = self.Module is { } m ? arrivals.Jobs(m, now) : 0;
        var best = self.Hosts
            .Where(h => !held.Contains(h))
            .Select(h => (Module: h, Rate: arrivals.Jobs(h, now)))
            .Where(c => c.Rate > own)
            .OrderByDescending(c => c.Rate)
            .ThenBy(c => c.Module, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Module is null ? null : new ModulePlan(best.Module, DateTimeOffset.MaxValue, 0, 0, DateTimeOffset.MaxValue, double.NegativeInfinity, 0, 0);
    }

    /// <summary>
    /// Per module with queued jobs, in EDF order of their most urgent jobs (a job is urgent from its
    /// start-by time or its tenant's turn, whichever is later: fairness decides the order, the aging bound
    /// decides when): when it falls due. For a module no partition holds,
    /// due once the work queued ahead of it (per partition), a swap, its own queue up to its last job and
    /// the margin no longer fit before its jobs' start-by times. For a held module, due (for another
    /// partition) once its own partitions cannot start its last job in time.
    /// </summary>
    private (List<ModulePlan> Plan, double Round) Plan(List<PartitionView> usable, DateTimeOffset now)
    {
        var servers = new Dictionary<string, int>(StringComparer.Ordinal);
        var loading = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in usable)
        {
            if (Holding(p) is { } m)
            {
                servers[m] = servers.GetValueOrDefault(m) + 1;
            }
            if (pendingLoads.TryGetValue(p.Name, out var pending))
            {
                loading[pending] = loading.GetValueOrDefault(pending) + 1;
            }
        }
        var margin = options.Margin.Ticks;
        var swap = options.SwapCost.Ticks;
        var minimumAge = Math.Max(1, options.Margin.Ticks);
        var plan = new List<ModulePlan>();
        // Predicted start of each module, counted from now, if the board served the queues in EDF order,
        // one gated visit each, spread over all partitions. A visit also serves what arrives for the
        // module until it starts, estimated from the queue itself: its work over its age (at least a
        // quarter of the bound, so a lone fresh job does not look like a flood), at most one partition's
        // worth. Waiting Δ more before starting delays module m by Δ·(1 + slope): the latest start of
        // the round that keeps m's oldest job within its bound is now + slack / (1 + slope).
        double clock = 0, slope = 0;
        var ordered = queues.Values
            .Where(q => q.Count > 0)
            .Select(q => (Queue: q, Urgent: q.MostUrgent(t => shares.Turn(t, now))))
            .OrderBy(u => u.Urgent.UrgentAt)
            .ThenBy(u => u.Urgent.Entry, QueueEntry.ByStartBy);
        foreach (var (q, (_, urgentAt)) in ordered)
        {
            var count = servers.GetValueOrDefault(q.Module);
            DateTimeOffset dueAt;
            double lateness;
            if (count == 0)
            {
                var age = Math.Max(minimumAge, (now - q.Oldest.Job.EnqueuedAt).Ticks);
                var rate = Math.Min(1.0, q.Work / (double)age);
                var start = clock + (double)swap / partitionCount;
                var slack = q.LatestStart(1) - now.UtcTicks - margin - start;
                dueAt = Ticks(now.UtcTicks + (long)(slack / (1 + slope)));
                lateness = -slack;
                clock = start + (q.Work + rate * start) / partitionCount;
                slope += rate * (1 + slope) / partitionCount;
            }
            else
            {
                dueAt = Ticks(Math.Min(q.LatestStart(count, behindOthers: true), q.Newest.StartBy.UtcTicks) - margin);
                lateness = now.UtcTicks - dueAt.UtcTicks;
                clock += (double)q.Work / partitionCount;
            }
            plan.Add(new ModulePlan(q.Module, urgentAt, q.Work, count, dueAt, lateness, q.Count, loading.GetValueOrDefault(q.Module)));
        }
        return (plan, clock);
    }

    /// <summary>
    /// Where <paramref name="module"/> should be loaded now: an idle usable partition that hosts it, empty
    /// ones first, then by the placement policy. A partition that is the only holder of a module with an
    /// older waiting job is never the victim (that would break the older job's bound to serve a younger one),
    /// unless it is the asking partition, which has weighed its own queue already (EDF and the batch bound).
    /// A <paramref name="speculative"/> load (a prefetch) never replaces an operator's module (<see cref="PartitionView.Pinned"/>).
    /// </summary>
    private string? Place(ModulePlan module, List<PartitionView> usable, List<ModulePlan> plan, string self, DateTimeOffset now, bool speculative = false)
    {
        var byModule = plan.ToDictionary(p => p.Module, StringComparer.Ordinal);
        var candidates = usable
            .Where(p => !p.Busy && !pendingLoads.ContainsKey(p.Name) && Hosts(p, module.Module) && p.Module != module.Module)
            .Where(p => !speculative || !p.Pinned)
            .Where(p => p.Module is null
                || p.Name == self
                || !byModule.TryGetValue(p.Module, out var held)
                || held.Servers > 1
                || held.StartBy > module.StartBy)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }
        var empty = candidates.FirstOrDefault(p => p.Module is null);
        if (empty is not null)
        {
            return empty.Name;
        }
        return Placement.Victim(options.Placement, candidates, m => byModule.TryGetValue(m, out var held) ? held.StartBy : Predicted(m, now)).Name;
    }

    /// <summary>
    /// When a module with nothing queued is likely needed: its next job, expected one mean inter-arrival time
    /// from now (its recent arrival rate), must start within the aging bound after that. Later than any queued
    /// job's start-by; <see cref="DateTimeOffset.MaxValue"/> for a module with no recent arrival.
    /// </summary>
    private DateTimeOffset Predicted(string module, DateTimeOffset now)
    {
        var rate = arrivals.Jobs(module, now);
        return rate > 0 ? Ticks(now.UtcTicks + options.AgingBound.Ticks + (long)Math.Min(TimeSpan.TicksPerSecond / rate, long.MaxValue / 4.0)) : DateTimeOffset.MaxValue;
    }

    /// <summary>
    /// Whether the partitions holding <paramref name="module"/> finish its running and queued jobs before another
    /// partition could load it: then a further partition would start none of them sooner.
    /// </summary>
    private bool DrainsWithinSwap(ModulePlan module)
    {
        var runningWork = running.Where(r => charged.Contains(r.Key) && r.Value.Module == module.Module).Sum(r => CostOf(r.Value));
        return (runningWork + module.Work) / Math.Max(1, module.Servers) <= options.SwapCost.Ticks;
    }

    private string? Holding(PartitionView p) => pendingLoads.TryGetValue(p.Name, out var m) ? m : p.Module;

    private static bool Hosts(PartitionView p, string module) => p.Hosts.Contains(module, StringComparer.Ordinal);

    private long CostOf(QueuedJob job) =>
        Math.Max(1, (job.EstimatedRun > TimeSpan.Zero ? job.EstimatedRun : options.DefaultEstimatedRun).Ticks);

    private TimeSpan Retry(double ticks) => TimeSpan.FromTicks(Math.Max(options.MinRetryAfter.Ticks, (long)Math.Ceiling(ticks)));

    private static DateTimeOffset Ticks(long utcTicks) =>
        new(Math.Clamp(utcTicks, DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The module a partition holds, how many jobs it ran in a row, and since when (null until the swap ends).</summary>
    private sealed record Residency(string? Module, int Count, DateTimeOffset? Since);

    /// <param name="StartBy">When its most urgent job is urgent: its start-by time, or its tenant's turn if later.</param>
    /// <param name="Lateness">Ticks past the bound its jobs would start if served from now without delay (negative: slack).</param>
    /// <param name="Loading">Partitions loading it now: each is ready sooner than one that starts loading it, so a
    /// module with no more jobs than those is not given another partition however close its bound.</param>
    private sealed record ModulePlan(string Module, DateTimeOffset StartBy, long Work, int Servers, DateTimeOffset DueAt, double Lateness, int Jobs, int Loading);
}
