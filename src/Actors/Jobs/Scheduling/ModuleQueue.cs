namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// The jobs waiting for one module: a FIFO per tenant served by deficit round robin (Shreedhar and
/// Varghese, "Efficient fair queuing using deficit round robin", SIGCOMM 1995) weighted by tenant, and
/// an index by start-by time so the oldest job can jump the fair order when its aging bound is near.
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
        byStartBy.Add(entry);
        Work += entry.Cost;
    }

    public void Remove(QueueEntry entry)
    {
        var lane = lanes[entry.Job.Tenant];
        lane.Jobs.Remove(entry.Node!);
        entry.Node = null;
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
                lane.Deficit += weight(tenant) * quantum;
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

    /// <summary>The job with the earliest start-by time, removed, charged to its tenant's deficit.</summary>
    public QueueEntry TakeOldest()
    {
        var oldest = Oldest;
        lanes[oldest.Job.Tenant].Deficit -= oldest.Cost;
        Remove(oldest);
        return oldest;
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

    private sealed class TenantLane
    {
        public LinkedList<QueueEntry> Jobs { get; } = new();

        public double Deficit { get; set; }

        public bool Credited { get; set; }
    }
}
