using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

/// <summary>
/// Drives the service's <see cref="SchedulingDriver"/> in virtual time the way the service does: every job
/// is accepted (the intake has admitted it already), runs for its actual time, which need not be its
/// estimate, and partitions swap in <see cref="SchedulerOptions.SwapCost"/>. Tenants either submit at set
/// times or keep a number of jobs open (a backlogged client that submits again as each ends). Records
/// starts, ends and the partition time each tenant got, and checks that a partition never holds two jobs.
/// </summary>
internal sealed class TenantScenario
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public static readonly string[] Modules = ["m0", "m1", "m2", "m3", "m4", "m5"];

    private readonly SchedulerOptions options;
    private readonly PriorityQueue<Action<DateTimeOffset>, (DateTimeOffset, long)> events = new();
    private readonly HashSet<DateTimeOffset> wakes = [];
    private readonly Dictionary<JobId, TimeSpan> actual = [];
    private readonly Dictionary<PartitionName, JobId> onPartition = [];
    private readonly Dictionary<string, Func<DateTimeOffset, (QueuedJob Job, TimeSpan Actual)?>> refills = new(StringComparer.Ordinal);
    private readonly Guid incarnation = Guid.NewGuid();
    private long seq;
    private long observed;
    private int next;

    public TenantScenario(SchedulerOptions options, int partitions)
    {
        this.options = options;
        Driver = NewDriver(options, partitions);
        for (var p = 0; p < partitions; p++)
        {
            Carry(Driver.Observe(new RegionObservation(new PartitionName($"p{p}"), incarnation, observed++, RegionStatus.Empty, null, null), T0), T0);
        }
    }

    public SchedulingDriver Driver { get; }

    /// <summary>The service's driver over partitions p0, p1, ... each of which can hold every one of <see cref="Modules"/>.</summary>
    public static SchedulingDriver NewDriver(SchedulerOptions options, int partitions) =>
        new(options, Enumerable.Range(0, partitions).Select(i => (new PartitionName($"p{i}"), (IReadOnlyCollection<ModuleName>)[.. Modules.Select(m => new ModuleName(m))])));

    public Dictionary<JobId, QueuedJob> Jobs { get; } = [];

    public Dictionary<JobId, DateTimeOffset> Started { get; } = [];

    public Dictionary<JobId, DateTimeOffset> Ended { get; } = [];

    /// <summary>Per tenant, every stretch of partition time it got: (start, end).</summary>
    public Dictionary<string, List<(DateTimeOffset From, DateTimeOffset To)>> Busy { get; } = new(StringComparer.Ordinal);

    public int Loads { get; private set; }

    /// <summary>The first time a tenant that keeps jobs open had none queued (its backlog ran out), if it happened.</summary>
    public DateTimeOffset? FirstDrained { get; private set; }

    public TimeSpan Wait(JobId id) => Started[id] - Jobs[id].EnqueuedAt;

    /// <summary>A job accepted at its <see cref="QueuedJob.EnqueuedAt"/> that runs for <paramref name="runs"/>.</summary>
    public void Submit(QueuedJob job, TimeSpan runs) => At(job.EnqueuedAt, now => Accept(job, runs, now));

    /// <summary>
    /// A tenant that keeps <paramref name="open"/> jobs open from T0 until <paramref name="until"/>: a new one
    /// from <paramref name="make"/> each time one ends.
    /// </summary>
    public void Backlogged(string tenant, int open, DateTimeOffset until, Func<JobId, DateTimeOffset, (QueuedJob Job, TimeSpan Actual)> make)
    {
        refills[tenant] = now => now < until ? make(NewId(), now) : null;
        for (var i = 0; i < open; i++)
        {
            var (job, runs) = make(NewId(), T0);
            Submit(job, runs);
        }
    }

    public JobId NewId() => new(new Guid(next++, 0, 0, new byte[8]));

    public void Run()
    {
        while (events.TryDequeue(out var action, out var key))
        {
            wakes.Remove(key.Item1);
            action(key.Item1);
        }
    }

    /// <summary>Partition time each tenant got within [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public Dictionary<string, double> ShareOfTime(DateTimeOffset from, DateTimeOffset to)
    {
        var time = Busy.ToDictionary(
            b => b.Key,
            b => b.Value.Sum(s => Math.Max(0, ((s.To < to ? s.To : to) - (s.From > from ? s.From : from)).TotalSeconds)),
            StringComparer.Ordinal);
        var total = time.Values.Sum();
        return time.ToDictionary(t => t.Key, t => t.Value / total, StringComparer.Ordinal);
    }

    private void Accept(QueuedJob job, TimeSpan runs, DateTimeOffset now)
    {
        Jobs.Add(job.Id, job);
        actual[job.Id] = runs;
        Carry(Driver.Accept(job, 0, now), now);
    }

    private void Carry(IReadOnlyList<DriverCommand> commands, DateTimeOffset now)
    {
        foreach (var command in commands)
        {
            switch (command)
            {
                case DriverCommand.Start start:
                    // One running job per partition, never a second one staged behind it.
                    Assert.False(onPartition.ContainsKey(start.Partition), $"{start.Partition} was handed {start.Job.Id} while it runs {onPartition.GetValueOrDefault(start.Partition)}");
                    onPartition[start.Partition] = start.Job.Id;
                    Started.TryAdd(start.Job.Id, now);
                    var tenant = start.Job.Tenant;
                    CheckBacklog(tenant, now);
                    var runs = actual[start.Job.Id];
                    At(now + runs, done =>
                    {
                        onPartition.Remove(start.Partition);
                        Ended[start.Job.Id] = done;
                        (Busy.TryGetValue(tenant, out var busy) ? busy : Busy[tenant] = []).Add((now, done));
                        Carry(Driver.Ended(start.Job.Id, done), done);
                        if (refills.TryGetValue(tenant, out var refill) && refill(done) is { } more)
                        {
                            Accept(more.Job, more.Actual, done);
                        }
                        CheckBacklog(tenant, done);
                    });
                    break;
                case DriverCommand.Load load:
                    Loads++;
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

    private void CheckBacklog(string tenant, DateTimeOffset now)
    {
        if (refills.ContainsKey(tenant) && !Driver.Scheduler.QueueDepthByTenant().ContainsKey(tenant))
        {
            FirstDrained ??= now;
        }
    }

    private void At(DateTimeOffset t, Action<DateTimeOffset> a) => events.Enqueue(a, (t, seq++));
}
