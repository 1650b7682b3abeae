using Dpr.Actors.Jobs.Scheduling;
using Dpr.Optimum;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

/// <summary>
/// The CP-SAT optimum of small offline instances: its schedules are valid, it finds the known optimum of
/// hand-made instances, and it never needs more loads than the production driver used on the same jobs.
/// </summary>
public sealed class OptimalScheduleTests
{
    private static readonly SchedulerOptions Options = new();
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public void Interleaved_modules_on_one_partition_are_grouped_into_one_load_each()
    {
        var instance = Instance(1, ("m0", 0), ("m1", 0), ("m0", 1), ("m1", 2), ("m0", 3));

        var schedule = OptimalScheduler.Solve(instance, TimeLimit);

        Assert.True(schedule.Optimal);
        Assert.Equal(2, schedule.Loads);
        AssertValid(instance, schedule);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    public void A_module_needed_again_after_the_bound_is_reloaded_unless_a_second_partition_keeps_it(int partitions, int loads)
    {
        // m1 must start in [300, 550] ms and the second m0 job in [600, 850] ms: one partition has to leave m0 for m1 and come back.
        var instance = Instance(partitions, ("m0", 0), ("m1", 300), ("m0", 600));

        var schedule = OptimalScheduler.Solve(instance, TimeLimit);

        Assert.True(schedule.Optimal);
        Assert.Equal(loads, schedule.Loads);
        AssertValid(instance, schedule);
    }

    [Fact]
    public void A_job_that_cannot_load_in_time_is_a_named_error()
    {
        var instance = new OfflineInstance([new OfflineJob(TimeSpan.Zero, "m0", TimeSpan.FromMilliseconds(1))], 1, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1));

        var error = Assert.Throws<ArgumentException>(() => OptimalScheduler.Solve(instance, TimeLimit));

        Assert.Contains("job 0 cannot start in time", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Random instances of 8–14 jobs, 2–4 modules, 1–2 partitions: the optimum is proven, its schedule valid,
    /// and the production driver, which keeps the bound, never loads fewer times.
    /// </summary>
    [Fact]
    public void The_optimum_is_valid_and_never_above_the_production_driver()
    {
        for (var seed = 0; seed < 30; seed++)
        {
            var instance = RandomInstance(seed);

            var schedule = OptimalScheduler.Solve(instance, TimeLimit);
            var waiting = OptimalScheduler.Solve(instance, TimeLimit, onlyForWaitingJobs: true);
            var (dprLoads, dprMaxWait) = RunDriver(instance);

            Assert.True(schedule.Optimal && waiting.Optimal, $"seed {seed}: not proven optimal");
            AssertValid(instance, schedule);
            AssertValid(instance, waiting);
            AssertLoadsOnlyForWaitingJobs(instance, waiting);
            Assert.True(dprMaxWait <= instance.WaitBound, $"seed {seed}: the driver waited {dprMaxWait}");
            Assert.True(schedule.Loads <= waiting.Loads && waiting.Loads <= dprLoads, $"seed {seed}: optimum {schedule.Loads}, for waiting jobs {waiting.Loads}, driver {dprLoads}");
        }
    }

    /// <summary>
    /// Why no online scheduler meets 1.15x the optimum on every small instance: X and Y agree until 300 ms, so a
    /// scheduler that sees arrivals only as they come treats them alike until then; by 250 ms it has started job 0
    /// or job 1 first (job 0's bound is 250 ms). Started job 0 first, it needs three loads on X; job 1 first, three
    /// on Y; the optimum of each needs two. Every deterministic online scheduler is 1.5x the optimum on one of them.
    /// </summary>
    [Fact]
    public void Two_instances_with_a_common_past_cost_any_online_scheduler_one_load_more_on_one_of_them()
    {
        var x = Instance(1, ("m0", 0), ("m1", 200), ("m0", 460));
        var y = Instance(1, ("m0", 0), ("m1", 200), ("m1", 300));

        Assert.Equal(2, OptimalScheduler.Solve(x, TimeLimit).Loads);
        Assert.Equal(2, OptimalScheduler.Solve(y, TimeLimit).Loads);
        Assert.Equal(3, OptimalScheduler.Solve(x, TimeLimit, order: [(0, 1)]).Loads);
        Assert.Equal(2, OptimalScheduler.Solve(x, TimeLimit, order: [(1, 0)]).Loads);
        Assert.Equal(2, OptimalScheduler.Solve(y, TimeLimit, order: [(0, 1)]).Loads);
        Assert.Equal(3, OptimalScheduler.Solve(y, TimeLimit, order: [(1, 0)]).Loads);
        Assert.Equal(5, RunDriver(x).Loads + RunDriver(y).Loads);
    }

    [Fact]
    public void An_order_naming_a_job_the_instance_lacks_is_a_named_error()
    {
        var error = Assert.Throws<ArgumentException>(() => OptimalScheduler.Solve(Instance(1, ("m0", 0)), TimeLimit, order: [(0, 3)]));

        Assert.Contains("names a job outside 0..0", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Each load starts (a swap before its partition's next job) while a job of its module has arrived and not started.</summary>
    private static void AssertLoadsOnlyForWaitingJobs(OfflineInstance instance, OfflineSchedule schedule)
    {
        foreach (var onPartition in schedule.Starts.GroupBy(s => s.Partition))
        {
            string? module = null;
            foreach (var start in onPartition.OrderBy(s => s.At))
            {
                var job = instance.Jobs[start.Job];
                if (job.Module != module)
                {
                    var loadAt = start.At - instance.SwapCost;
                    Assert.Contains(schedule.Starts, k => instance.Jobs[k.Job].Module == job.Module && instance.Jobs[k.Job].Arrival <= loadAt && k.At >= loadAt);
                    module = job.Module;
                }
            }
        }
    }

    internal static OfflineInstance RandomInstance(int seed)
    {
        var random = new Random(seed);
        var modules = Enumerable.Range(0, 2 + random.Next(3))
            .Select(m => (TenantScenario.Modules[m], new[] { TimeSpan.FromMilliseconds(0.2), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(20) }))
            .ToList();
        return OfflineInstance.Random(seed, 8 + random.Next(7), modules, 1 + random.Next(2), TimeSpan.FromMilliseconds(1000), Options.SwapCost, Options.AgingBound);
    }

    /// <summary>The production driver on the instance's jobs, every job accepted at its arrival: its loads and longest wait.</summary>
    private static (int Loads, TimeSpan MaxWait) RunDriver(OfflineInstance instance)
    {
        var scenario = new TenantScenario(Options, instance.Partitions);
        foreach (var job in instance.Jobs)
        {
            scenario.Submit(new QueuedJob(scenario.NewId(), "t0", job.Module, TenantScenario.T0 + job.Arrival, EstimatedRun: job.Run), job.Run);
        }
        scenario.Run();
        return (scenario.Loads, scenario.Jobs.Keys.Max(scenario.Wait));
    }

    private static OfflineInstance Instance(int partitions, params (string Module, double AtMs)[] jobs) =>
        new([.. jobs.Select(j => new OfflineJob(TimeSpan.FromMilliseconds(j.AtMs), j.Module, TimeSpan.FromMilliseconds(1)))], partitions, Options.SwapCost, Options.AgingBound);

    /// <summary>
    /// Replays the schedule on each partition as a timeline: loads and jobs never overlap, a job runs on the
    /// module its partition loaded last, it starts within [arrival, arrival + bound], and the loads counted are
    /// the loads listed.
    /// </summary>
    private static void AssertValid(OfflineInstance instance, OfflineSchedule schedule)
    {
        Assert.Equal(instance.Jobs.Count, schedule.Starts.Select(s => s.Job).Distinct().Count());
        Assert.Equal(schedule.Loads, schedule.Swaps.Count);
        for (var p = 0; p < instance.Partitions; p++)
        {
            var timeline = schedule.Swaps.Where(l => l.Partition == p).Select(l => (At: l.At, End: l.At + instance.SwapCost, Module: l.Module, Job: -1))
                .Concat(schedule.Starts.Where(s => s.Partition == p).Select(s => (At: s.At, End: s.At + instance.Jobs[s.Job].Run, Module: instance.Jobs[s.Job].Module, Job: s.Job)))
                .OrderBy(e => e.At).ThenBy(e => e.Job)
                .ToList();
            string? resident = null;
            var free = TimeSpan.Zero;
            foreach (var (at, end, module, job) in timeline)
            {
                Assert.True(at >= free, $"partition {p}: something starts at {at} before {free}");
                free = end;
                if (job < 0)
                {
                    resident = module;
                    continue;
                }
                var arrival = instance.Jobs[job].Arrival;
                Assert.Equal(module, resident);
                Assert.InRange(at, arrival, arrival + instance.WaitBound);
            }
        }
    }
}
