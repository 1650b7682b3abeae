using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

/// <summary>
/// Drives the service's <see cref="SchedulingDriver"/> in virtual time: random arrivals (seeded),
/// partitions that run or swap as the driver commands, cancellations and hand-backs, and a record of
/// every admission, start, completion and load to check properties against.
/// </summary>
internal sealed class SchedulerHarness
{
    private static readonly DateTimeOffset T0 = TenantScenario.T0;
    private static readonly string[] Modules = TenantScenario.Modules;

    private readonly SchedulerOptions options;
    private readonly Random random;
    private readonly int partitions;

    public SchedulerHarness(int seed, SchedulerOptions options, int partitions)
    {
        this.options = options;
        this.partitions = partitions;
        random = new Random(seed);
        Driver = TenantScenario.NewDriver(options, partitions);
    }

    public SchedulingDriver Driver { get; }

    public JobScheduler Scheduler => Driver.Scheduler;

    public Dictionary<JobId, QueuedJob> Admitted { get; } = [];

    public HashSet<JobId> Cancelled { get; } = [];

    public Dictionary<JobId, int> Completions { get; } = [];

    public Dictionary<JobId, DateTimeOffset> FirstStart { get; } = [];

    public List<(DateTimeOffset At, string Module)> Admissions { get; } = [];

    public List<string> Decisions { get; } = [];

    public bool RecordDecisions { get; init; }

    public int Loads { get; private set; }

    /// <summary>Loads the driver marked as prefetches.</summary>
    public int Prefetches { get; private set; }

    /// <summary>Prefetches that evicted a module with queued jobs, which could have run there instead.</summary>
    public int PrefetchesOverQueuedWork { get; private set; }

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
        for (var p = 0; p < partitions; p++)
        {
            Carry(Driver.Observe(new RegionObservation(new PartitionName($"p{p}"), incarnation, observed++, RegionStatus.Empty, null, null), T0), T0);
        }
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
            var (admission, commands) = Driver.Submit(job, now);
            switch (admission)
            {
                case Admission.Refused refused:
                    At(now + refused.RetryAfter, later => Submit(job with { EnqueuedAt = later }, cancel, requeue));
                    break;
                default:
                    Admitted.Add(job.Id, job);
                    Admissions.Add((now, job.Module));
                    if (cancel)
                    {
                        At(now + TimeSpan.FromMilliseconds(random.NextDouble() * 20), later =>
                        {
                            var (outcome, after) = Driver.Cancel(job.Id, later);
                            if (outcome == CancelOutcome.Cancelled)
                            {
                                Cancelled.Add(job.Id);
                            }
                            Carry(after, later);
                        });
                    }
                    if (requeue)
                    {
                        requeues.Add(job.Id);
                    }
                    Carry(commands, now);
                    break;
            }
            Observe();
        }

        while (events.TryDequeue(out var action, out var key))
        {
            var now = key.Item1;
            wakes.Remove(now);
            action(now);
            Observe();
        }
    }

    /// <summary>
    /// Carries out the driver's commands as the region managers and modules would, in virtual time: a
    /// load is answered (and the partition reported loaded) after a swap, a job ends after its run time.
    /// </summary>
    private void Carry(IReadOnlyList<DriverCommand> commands, DateTimeOffset now)
    {
        foreach (var command in commands)
        {
            if (RecordDecisions)
            {
                Decisions.Add($"{now.UtcTicks} {command}");
            }
            switch (command)
            {
                case DriverCommand.Start start:
                    FirstStart.TryAdd(start.Job.Id, now);
                    var crash = requeues.Remove(start.Job.Id);
                    At(now + start.Job.EstimatedRun, done =>
                    {
                        if (crash)
                        {
                            // The module crashed mid-job: the job goes back with its original EnqueuedAt.
                            Carry(Driver.HandedBack(start.Job.Id, "simulated crash", done), done);
                        }
                        else
                        {
                            Assert.True(Scheduler.IsRunning(start.Job.Id));
                            Completions[start.Job.Id] = Completions.GetValueOrDefault(start.Job.Id) + 1;
                            Carry(Driver.Ended(start.Job.Id, done), done);
                        }
                    });
                    break;
                case DriverCommand.Load load:
                    Loads++;
                    if (load.Prefetch)
                    {
                        Prefetches++;
                        var evicted = Driver.Views.Single(v => v.Name == load.Partition.Value).Module;
                        PrefetchesOverQueuedWork += evicted is not null && Scheduler.QueueDepthByModule().GetValueOrDefault(evicted) > 0 ? 1 : 0;
                    }
                    At(now + options.SwapCost, done =>
                    {
                        Carry(Driver.Observe(new RegionObservation(load.Partition, incarnation, observed++, RegionStatus.Loaded, load.Module, done), done), done);
                        Carry(Driver.LoadAnswered(load.Partition, load.Module, null, done), done);
                    });
                    break;
                case DriverCommand.WakeAt { At: var until } when until > now && wakes.Add(until):
                    At(until, later => Carry(Driver.Tick(later), later));
                    break;
                case DriverCommand.Fail or DriverCommand.StartOnCpu or DriverCommand.AskState:
                    throw new InvalidOperationException($"nothing faults here, yet the driver said {command}");
            }
        }
    }

    private readonly HashSet<JobId> requeues = [];
    private readonly PriorityQueue<Action<DateTimeOffset>, (DateTimeOffset, long)> events = new();
    private readonly HashSet<DateTimeOffset> wakes = [];
    private readonly Guid incarnation = Guid.NewGuid();
    private long seq;
    private long observed;

    private void At(DateTimeOffset t, Action<DateTimeOffset> a) => events.Enqueue(a, (t, seq++));

    private void Observe()
    {
        MaxQueuedSeen = Math.Max(MaxQueuedSeen, Scheduler.QueuedCount);
        var perTenant = Scheduler.QueueDepthByTenant();
        MaxPerTenantSeen = Math.Max(MaxPerTenantSeen, perTenant.Count == 0 ? 0 : perTenant.Values.Max());
    }

    public TimeSpan MaxWait => FirstStart.Count == 0 ? TimeSpan.Zero : FirstStart.Max(s => s.Value - Admitted[s.Key].EnqueuedAt);
}
