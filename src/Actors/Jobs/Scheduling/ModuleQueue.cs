namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// The jobs waiting for one module: a FIFO per tenant served by deficit round robin (Shreedhar and
/// Varghese, "Efficient fair queuing using deficit round robin", SIGCOMM 1995) weighted by tenant, and
/// an index by start-by time, per tenant too, so the most urgent job can jump the fair order when its
/// aging bound is near; urgency counts a tenant's turn (<see cref="TenantShares"/>), not only age.
/// </summary>
internal sealed class ModuleQueue(string module)
{
    private readonly SortedDictionary<string, TenantLane> lanes = new(StringComparer.Ordinal);
    private readonly SortedSet<QueueEntry> byStartBy = new(QueueEntry.ByStartBy);
    private string? cursor;

    public string Module { get; } = module;

    public int Count => byStartBy.Count;

    /// <summary>Sum of the queued jobs' estimated run times, in ticks.</summary>
    public long Work { get; private set; }

    public QueueEntry Oldest => byStartBy.Min!;

    public QueueEntry Newest => byStartBy.Max!;

    public IEnumerable<QueueEntry> InStartByOrder => byStartBy;

    /// <summary>
    /// The latest time (in UTC ticks) <paramref name="servers"/> partitions can start on this queue, served in
    /// start-by order, and still start every job by its start-by time: the least over the jobs of start-by
    /// minus the work queued before it (per partition). A long job ahead of a short one with a close bound
    /// makes the module due earlier than its oldest or its newest job alone would. With
    /// <paramref name="behindOthers"/>, only the jobs with work ahead of them count (the partitions that hold
    /// the module start the first ones as soon as they are free). <see cref="long.MaxValue"/> when none counts.
    /// </summary>
    public long LatestStart(int servers, bool behindOthers = false)
    {
        var latest = long.MaxValue;
        var ahead = 0L;
        foreach (var entry in byStartBy)
        {
            if (!behindOthers || ahead > 0)
            {
                latest = Math.Min(latest, entry.StartBy.UtcTicks - ahead / servers);
            }
            ahead += entry.Cost;
        }
        return latest;
    }

    public void Add(QueueEntry entry)
    {
        if (!lanes.TryGetValue(entry.Job.Tenant, out var lane))
        {
            lane = new TenantLane();
            lanes.Add(entry.Job.Tenant, lane);
        }
        // Usually appended at the tail; a requeued job walks back to its place by age.
        var after = lane.Jobs.Last;
        while (after is not null && QueueEntry.ServiceOrder(entry, after.Value) < 0)
        {
            after = after.Previous;
        }
        entry.Node = after is null ? lane.Jobs.AddFirst(entry) : lane.Jobs.AddAfter(after, entry);
        lane.ByStartBy.Add(entry);
        byStartBy.Add(entry);
        Work += entry.Cost;
    }

    public void Remove(QueueEntry entry)
    {
        var lane = lanes[entry.Job.Tenant];
        lane.Jobs.Remove(entry.Node!);
        entry.Node = null;
        lane.ByStartBy.Remove(entry);
        byStartBy.Remove(entry);
        Work -= entry.Cost;
        if (lane.Jobs.Count == 0)
        {
            // DRR: an emptied flow forfeits its deficit.
            lanes.Remove(entry.Job.Tenant);
            if (cursor == entry.Job.Tenant)
            {
                cursor = NextTenant(entry.Job.Tenant);
            }
        }
    }

    /// <summary>
    /// The next job in weighted fair order among the tenants whose next job is eligible (the gated batch),
    /// removed from the queue; null when no tenant's next job is eligible.
    /// </summary>
    public QueueEntry? TakeFair(Func<string, double> weight, long quantum, Func<QueueEntry, bool> eligible)
    {
        if (!lanes.Values.Any(l => eligible(l.Jobs.First!.Value)))
        {
            return null;
        }
        var alone = lanes.Values.Count(l => eligible(l.Jobs.First!.Value)) == 1;
        var tenant = cursor ?? lanes.Keys.First();
        while (true)
        {
            cursor = tenant;
            var lane = lanes[tenant];
            if (!eligible(lane.Jobs.First!.Value))
            {
                lane.Credited = false;
                tenant = NextTenant(tenant)!;
                continue;
            }
            if (!lane.Credited)
            {
                // The only eligible tenant gets the rounds it would go through in one step (a large job
                // against a small quantum would otherwise loop once per quantum).
                var rounds = alone ? Math.Max(1, Math.Ceiling((lane.Jobs.First!.Value.Cost - lane.Deficit) / (weight(tenant) * quantum))) : 1;
                lane.Deficit += rounds * weight(tenant) * quantum;
                lane.Credited = true;
            }
            var head = lane.Jobs.First!.Value;
            if (head.Cost <= lane.Deficit)
            {
                lane.Deficit -= head.Cost;
                Remove(head);
                return head;
            }
            lane.Credited = false;
            tenant = NextTenant(tenant)!;
        }
    }

    /// <summary>
    /// The most urgent job: per tenant its oldest job, urgent from the later of its start-by time and the
    /// tenant's <paramref name="turn"/>; the earliest of those (then by start-by and admission order).
    /// </summary>
    public (QueueEntry Entry, DateTimeOffset UrgentAt) MostUrgent(Func<string, DateTimeOffset> turn)
    {
        (QueueEntry Entry, DateTimeOffset UrgentAt)? best = null;
        foreach (var (tenant, lane) in lanes)
        {
            var oldest = lane.ByStartBy.Min!;
            var at = Max(oldest.StartBy, turn(tenant));
            if (best is not { } b || at < b.UrgentAt || (at == b.UrgentAt && QueueEntry.ByStartBy.Compare(oldest, b.Entry) < 0))
            {
                best = (oldest, at);
            }
        }
        return best ?? throw new InvalidOperationException($"the queue of {Module} is empty");
    }

    /// <summary>
    /// <paramref name="entry"/> out of turn, removed, charged to its tenant's deficit. The debt is at most
    /// the job itself: the tenant's share of time is kept by <see cref="TenantShares"/>, and an unbounded
    /// debt would make one round of <see cref="TakeFair"/> loop once per quantum of it.
    /// </summary>
    public QueueEntry Take(QueueEntry entry)
    {
        var lane = lanes[entry.Job.Tenant];
        lane.Deficit = Math.Max(lane.Deficit - entry.Cost, -entry.Cost);
        Remove(entry);
        return entry;
    }

    /// <summary>A job of <paramref name="tenant"/> took <paramref name="ticks"/> more than it was charged (negative: less); its deficit follows, within one job's debt.</summary>
    public void Correct(string tenant, long ticks, long cost)
    {
        if (lanes.TryGetValue(tenant, out var lane))
        {
            lane.Deficit = Math.Max(lane.Deficit - ticks, -Math.Max(cost, cost + ticks));
        }
    }

    public IReadOnlyDictionary<string, int> CountByTenant() =>
        lanes.ToDictionary(l => l.Key, l => l.Value.Jobs.Count, StringComparer.Ordinal);

    private string? NextTenant(string after)
    {
        string? first = null;
        foreach (var key in lanes.Keys)
        {
            first ??= key;
            if (string.CompareOrdinal(key, after) > 0)
            {
                return key;
            }
        }
        return first;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed class TenantLane
    {
        public LinkedList<QueueEntry> Jobs { get; } = new();

        public SortedSet<QueueEntry> ByStartBy { get; } = new(QueueEntry.ByStartBy);

        public double Deficit { get; set; }

        public bool Credited { get; set; }
    }
}
