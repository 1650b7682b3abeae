using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

/// <summary>
/// Drives a <see cref="JobScheduler"/> the way the scheduler actor will, in virtual time: random
/// arrivals (seeded), partitions that run or swap, cancellations and requeues, and a record of every
/// admission, start, completion and load to check properties against.
/// </summary>
internal sealed class SchedulerHarness
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Modules = ["m0", "m1", "m2", "m3", "m4", "m5"];

    private readonly SchedulerOptions options;
    private readonly Random random;
    private readonly int partitions;

    public SchedulerHarness(int seed, SchedulerOptions options, int partitions)
    {
        this.options = options;
        this.partitions = partitions;
        random = new Random(seed);
        Scheduler = new JobScheduler(options);
    }

    public JobScheduler Scheduler { get; }

    public Dictionary<JobId, QueuedJob> Admitted { get; } = [];

    public HashSet<JobId> Cancelled { get; } = [];

    public Dictionary<JobId, int> Completions { get; } = [];

    public Dictionary<JobId, DateTimeOffset> FirstStart { get; } = [];

    public List<(DateTimeOffset At, string Module)> Admissions { get; } = [];

    public List<string> Decisions { get; } = [];

    public bool RecordDecisions { get; init; }

    public int Loads { get; private set; }

    public int MaxQueuedSeen { get; private set; }

    public int MaxPerTenantSeen { get; private set; }

    /// <summary>
    /// Offers <paramref name="jobs"/> jobs at <paramref name="load"/> of one partition's capacity per
    /// partition (job times up to <paramref name="maxRunMs"/>), cancelling and requeueing some, then
    /// drains. Refused jobs are retried after their advised delay.
    /// </summary>
    public void Run(int jobs, double load, double maxRunMs, double cancelRate = 0, double requeueRate = 0, int tenants = 4)
    {
        var meanRun = maxRunMs / 2 / 1000;
        var rate = load * partitions / meanRun;
        var events = new PriorityQueue<Action<DateTimeOffset>, (DateTimeOffset, long)>();
        long seq = 0;
        void At(DateTimeOffset t, Action<DateTimeOffset> a) => events.Enqueue(a, (t, seq++));
        var slots = Enumerable.Range(0, partitions).Select(i => new Slot($"p{i}")).ToArray();
        var wakes = new HashSet<DateTimeOffset>();
        var t = T0;
        for (var i = 0; i < jobs; i++)
        {
            t += TimeSpan.FromSeconds(-Math.Log(1 - random.NextDouble()) / rate);
            var tenant = $"t{random.Next(tenants)}";
            var module = Modules[random.Next(Modules.Length)];
            var run = TimeSpan.FromMilliseconds(random.NextDouble() * maxRunMs) + TimeSpan.FromTicks(1);
            var id = new JobId(new Guid(i, 0, 0, new byte[8]));
            var cancel = random.NextDouble() < cancelRate;
            var requeue = random.NextDouble() < requeueRate;
            At(t, now => Submit(new QueuedJob(id, tenant, module, now, EstimatedRun: run), cancel, requeue));
        }

        void Submit(QueuedJob job, bool cancel, bool requeue)
        {
            var now = job.EnqueuedAt;
            switch (Scheduler.TryEnqueue(job, now))
            {
                case Admission.Refused refused:
                    At(now + refused.RetryAfter, later => Submit(job with { EnqueuedAt = later }, cancel, requeue));
                    break;
                default:
                    Admitted.Add(job.Id, job);
                    Admissions.Add((now, job.Module));
                    if (cancel)
                    {
                        At(now + TimeSpan.FromMilliseconds(random.NextDouble() * 20), _ =>
                        {
                            if (Scheduler.Cancel(job.Id) == CancelOutcome.Cancelled)
                            {
                                Cancelled.Add(job.Id);
                            }
                        });
                    }
                    if (requeue)
                    {
                        requeues.Add(job.Id);
                    }
                    break;
            }
            Observe();
        }

        while (events.TryDequeue(out var action, out var key))
        {
            var now = key.Item1;
            wakes.Remove(now);
            action(now);
            foreach (var slot in slots.Where(s => !s.Busy))
            {
                var views = slots.Select(s => new PartitionView(s.Name, s.Module, s.Busy, s.LoadedAt, s.LastUsed, Modules)).ToList();
                var decision = Scheduler.Next(slot.Name, views, now);
                if (RecordDecisions)
                {
                    Decisions.Add($"{now.UtcTicks} {slot.Name} {decision}");
                }
                switch (decision)
                {
                    case Assignment.Run r:
                        FirstStart.TryAdd(r.Job.Id, now);
                        slot.Busy = true;
                        var crash = requeues.Remove(r.Job.Id);
                        At(now + r.Job.EstimatedRun, done =>
                        {
                            slot.Busy = false;
                            slot.LastUsed = done;
                            if (crash)
                            {
                                // The module crashed mid-job: the job goes back with its original EnqueuedAt.
                                Scheduler.Requeue(r.Job);
                            }
                            else
                            {
                                Assert.True(Scheduler.Completed(r.Job.Id));
                                Completions[r.Job.Id] = Completions.GetValueOrDefault(r.Job.Id) + 1;
                            }
                        });
                        break;
                    case Assignment.Load l:
                        Loads++;
                        slot.Busy = true;
                        At(now + options.SwapCost, done =>
                        {
                            slot.Busy = false;
                            slot.Module = l.Module;
                            slot.LoadedAt = done;
                            slot.LastUsed = done;
                        });
                        break;
                    case Assignment.Hold { Until: { } until } when until > now && wakes.Add(until):
                        At(until, _ => { });
                        break;
                }
            }
            Observe();
        }
    }

    private readonly HashSet<JobId> requeues = [];

    private void Observe()
    {
        MaxQueuedSeen = Math.Max(MaxQueuedSeen, Scheduler.QueuedCount);
        var perTenant = Scheduler.QueueDepthByTenant();
        MaxPerTenantSeen = Math.Max(MaxPerTenantSeen, perTenant.Count == 0 ? 0 : perTenant.Values.Max());
    }

    public TimeSpan MaxWait => FirstStart.Count == 0 ? TimeSpan.Zero : FirstStart.Max(s => s.Value - Admitted[s.Key].EnqueuedAt);

    private sealed class Slot(string name)
    {
        public string Name { get; } = name;

        public string? Module { get; set; }

        public bool Busy { get; set; }

        public DateTimeOffset? LoadedAt { get; set; }

        public DateTimeOffset? LastUsed { get; set; }
    }
}
