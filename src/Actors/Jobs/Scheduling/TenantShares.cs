namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// Weighted fair shares of partition time between tenants, kept as start-time fair queueing keeps them
/// (Goyal, Vin and Cheng, "Start-time fair queueing", SIGCOMM 1996): a system virtual time that advances
/// by (partitions / the weight of the tenants with jobs) per second, and per tenant the virtual time at
/// which its jobs started so far are paid for at its weight. <see cref="Turn"/> turns a tenant's lead
/// into real time: when its share reaches its next job. A tenant that joins starts at the system's
/// virtual time (no credit for having been away), and an idle board forgives every lead.
/// </summary>
/// <remarks>
/// Why: the aging bound orders jobs by acceptance, so a tenant that queues far more than its share has
/// the oldest jobs and, oldest first, holds everyone else behind its own backlog. The scheduler never
/// treats a tenant's job as more urgent than the tenant's turn, so a backlog delays only its owner.
/// Charged with estimates at the start of a job and corrected by the measured time at its end, so an
/// estimate wrong by 10x costs one job's worth of error, not a backlog's.
/// </remarks>
internal sealed class TenantShares(Func<string, double> weightOf, TimeSpan lead)
{
    private readonly Dictionary<string, Share> shares = new(StringComparer.Ordinal);
    private double virtualTime;
    private double activeWeight;
    private int activeTenants;
    private DateTimeOffset? advancedTo;

    /// <summary>Partitions that serve the tenants: the board's rate of service, one second per partition per second.</summary>
    public int Partitions { get; set; } = 1;

    /// <summary>Brings the virtual time to <paramref name="now"/>; earlier times than the last are ignored.</summary>
    public void Advance(DateTimeOffset now)
    {
        if (advancedTo is { } last && now > last && activeWeight > 0)
        {
            virtualTime += (now - last).Ticks * (double)Partitions / activeWeight;
        }
        if (advancedTo is null || now > advancedTo)
        {
            advancedTo = now;
        }
    }

    /// <summary>A job of <paramref name="tenant"/> is queued or running: the tenant has a share from now on.</summary>
    public void Join(string tenant)
    {
        var share = ShareOf(tenant);
        if (share.Jobs++ == 0)
        {
            share.Finish = Math.Max(share.Finish, virtualTime);
            activeWeight += share.Weight;
            activeTenants++;
        }
    }

    /// <summary>One of the tenant's jobs ended or left the queue; with none left it has no share, and with nobody left every lead is forgiven.</summary>
    public void Leave(string tenant)
    {
        if (!shares.TryGetValue(tenant, out var share) || share.Jobs == 0)
        {
            return;
        }
        if (--share.Jobs > 0)
        {
            return;
        }
        activeWeight -= share.Weight;
        if (--activeTenants == 0)
        {
            activeWeight = 0;
            virtualTime = Math.Max(virtualTime, shares.Values.Max(s => s.Finish));
        }
        if (share.Finish <= virtualTime)
        {
            shares.Remove(tenant);
        }
    }

    /// <summary>
    /// A job of the tenant starts with <paramref name="ticks"/> of estimated partition time. What the tenant
    /// is owed (its finish behind the virtual time, while its module waited for a partition) is kept: it
    /// has had jobs all along, and only joining resets a tenant to the virtual time.
    /// </summary>
    public void Charge(string tenant, long ticks)
    {
        var share = ShareOf(tenant);
        share.Finish += ticks / share.Weight;
    }

    /// <summary>The measured time differed from the charge by <paramref name="ticks"/> (negative: a refund).</summary>
    public void Correct(string tenant, long ticks)
    {
        if (shares.TryGetValue(tenant, out var share))
        {
            share.Finish += ticks / share.Weight;
        }
    }

    /// <summary>
    /// When the tenant's share reaches its next job: now plus its lead over the system's virtual time at
    /// the present weight of tenants with jobs, less the lead it may run ahead by; in the past when it is owed.
    /// </summary>
    public DateTimeOffset Turn(string tenant, DateTimeOffset now)
    {
        if (!shares.TryGetValue(tenant, out var share) || activeWeight <= 0)
        {
            return DateTimeOffset.MinValue;
        }
        // Ticks from now in a double (exact to well below a tick for years of lead), then added as integers.
        var ahead = Math.Round((share.Finish - virtualTime) * activeWeight / Partitions) - lead.Ticks;
        return new DateTimeOffset(now.UtcTicks + (long)Math.Clamp(ahead, -now.UtcTicks, DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks), TimeSpan.Zero);
    }

    private Share ShareOf(string tenant)
    {
        if (!shares.TryGetValue(tenant, out var share))
        {
            share = new Share(weightOf(tenant)) { Finish = virtualTime };
            shares.Add(tenant, share);
        }
        return share;
    }

    private sealed class Share(double weight)
    {
        public double Weight { get; } = weight;

        /// <summary>Virtual time by which the tenant's started jobs are paid for at its weight.</summary>
        public double Finish { get; set; }

        /// <summary>Queued and running jobs.</summary>
        public int Jobs { get; set; }
    }
}
