using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

/// <summary>The scheduling loop as the service runs it, without actors: inputs in, commands out.</summary>
public class SchedulingDriverTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Modules = ["conv3x3_int8", "conv5x5_int16"];
    private static readonly Guid First = Guid.NewGuid();
    private static readonly PartitionName P0 = new("p0");
    private static readonly ModuleName Conv3 = new("conv3x3_int8");

    private long _seq;

    private static SchedulingDriver Driver(int partitions = 1, int maxStarts = 3) =>
        new(new SchedulerOptions { AgingBound = TimeSpan.FromMilliseconds(20) }, Enumerable.Range(0, partitions).Select(i => (new PartitionName($"p{i}"), (IReadOnlyCollection<ModuleName>)[.. Modules.Select(m => new ModuleName(m))])), maxStarts);

    private static QueuedJob Job(string module, double atMs = 0, bool cpu = false) =>
        new(new JobId(Guid.NewGuid()), "t", module, T0.AddMilliseconds(atMs), CpuFallbackAllowed: cpu);

    private RegionObservation Region(RegionStatus status, string? module, string partition = "p0", Guid? incarnation = null) =>
        new(new PartitionName(partition), incarnation ?? First, ++_seq, status, module is null ? null : new ModuleName(module), status == RegionStatus.Loaded ? T0 : null);

    /// <summary>Ticks at every wake-up the driver asks for until a command other than a wake-up comes (or a second has passed).</summary>
    private static List<DriverCommand> Settle(SchedulingDriver driver, IReadOnlyList<DriverCommand> commands) => SettleAt(driver, commands).Commands;

    private static (List<DriverCommand> Commands, DateTimeOffset? At) SettleAt(SchedulingDriver driver, IReadOnlyList<DriverCommand> commands)
    {
        DateTimeOffset? at = null;
        var result = commands.Where(c => c is not DriverCommand.WakeAt).ToList();
        while (result.Count == 0 && commands.OfType<DriverCommand.WakeAt>().LastOrDefault() is { } wake && wake.At < T0.AddSeconds(1))
        {
            at = wake.At;
            commands = driver.Tick(wake.At);
            result = commands.Where(c => c is not DriverCommand.WakeAt).ToList();
        }
        return (result, at);
    }

    [Fact]
    public void Nothing_is_sent_to_a_partition_before_its_region_manager_has_said_what_it_holds()
    {
        var driver = Driver();
        var job = Job("conv3x3_int8");

        Assert.Empty(driver.Accept(job, 0, T0));
        var commands = driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);

        Assert.Equal([new DriverCommand.Start(job, P0, 1)], commands);
    }

    [Fact]
    public void An_operator_load_between_jobs_is_seen_and_the_next_job_loads_its_module_again()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        var first = Job("conv3x3_int8");
        Assert.IsType<DriverCommand.Start>(Assert.Single(driver.Accept(first, 0, T0)));
        driver.Ended(first.Id, T0.AddMilliseconds(1));

        // The operator's load, as the region manager publishes it.
        driver.Observe(Region(RegionStatus.Loading, "conv3x3_int8"), T0.AddMilliseconds(2));
        driver.Observe(Region(RegionStatus.Loaded, "conv5x5_int16"), T0.AddMilliseconds(4));
        var second = Job("conv3x3_int8", atMs: 5);
        var commands = Settle(driver, driver.Accept(second, 0, T0.AddMilliseconds(5)));

        Assert.Equal([new DriverCommand.Load(P0, Conv3)], commands);
        // Until the region says the module is there, the job is not sent.
        Assert.DoesNotContain(driver.LoadAnswered(P0, Conv3, null, T0.AddMilliseconds(30)), c => c is DriverCommand.Start);
        Assert.Equal([new DriverCommand.Start(second, P0, 1)], driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0.AddMilliseconds(31)));
    }

    [Fact]
    public void A_job_handed_back_each_time_fails_after_the_bound_naming_the_last_reason()
    {
        var driver = Driver(maxStarts: 3);
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        var job = Job("conv3x3_int8");
        var starts = driver.Accept(job, 0, T0).OfType<DriverCommand.Start>().ToList();
        var now = T0;
        var fails = new List<DriverCommand.Fail>();
        for (var i = 1; i <= 10 && fails.Count == 0; i++)
        {
            now = now.AddMilliseconds(1);
            var (commands, at) = SettleAt(driver, driver.HandedBack(job.Id, $"hand-back {i}", now));
            now = at ?? now;
            starts.AddRange(commands.OfType<DriverCommand.Start>());
            fails.AddRange(commands.OfType<DriverCommand.Fail>());
        }

        Assert.Equal([1, 2, 3], starts.Select(s => s.Attempt));
        var fail = Assert.Single(fails);
        Assert.Equal(job.Id, fail.Job);
        Assert.Contains("started 3 times", fail.Reason);
        Assert.Contains("hand-back 3", fail.Reason);
        Assert.Equal(0, driver.OpenJobs);
        Assert.Equal(0, driver.Scheduler.RunningCount + driver.Scheduler.QueuedCount);
    }

    [Fact]
    public void A_job_handed_back_before_it_reached_a_module_is_not_counted_as_a_start()
    {
        var driver = Driver(maxStarts: 3);
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        var job = Job("conv3x3_int8");
        // Started once before a failover (a previous run on another node), then the recovering partition is being loaded.
        var starts = driver.Accept(job, 1, T0).OfType<DriverCommand.Start>().ToList();
        var now = T0;
        for (var i = 1; i <= 5; i++)
        {
            now = now.AddMilliseconds(1);
            var (commands, at) = SettleAt(driver, driver.HandedBack(job.Id, $"partition is being loaded ({i})", now, started: false));
            now = at ?? now;
            Assert.Empty(commands.OfType<DriverCommand.Fail>());
            starts.AddRange(commands.OfType<DriverCommand.Start>());
        }

        Assert.Equal([2, 2, 2, 2, 2, 2], starts.Select(s => s.Attempt));
        // A hand-back after it reached the module still counts: the third start is the last.
        var (after, _) = SettleAt(driver, driver.HandedBack(job.Id, "an upset", now.AddMilliseconds(1)));
        Assert.Equal(3, Assert.Single(after.OfType<DriverCommand.Start>()).Attempt);
        var (last, _) = SettleAt(driver, driver.HandedBack(job.Id, "another upset", now.AddSeconds(10)));
        Assert.Contains("started 3 times", Assert.Single(last.OfType<DriverCommand.Fail>()).Reason);
    }

    [Fact]
    public void Repeated_hand_backs_pause_the_partition_for_a_growing_time()
    {
        var driver = Driver(maxStarts: 10);
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        var job = Job("conv3x3_int8");
        driver.Accept(job, 0, T0);

        // The first hand-back is free: the job goes out again at once.
        Assert.IsType<DriverCommand.Start>(Assert.Single(driver.HandedBack(job.Id, "swap overtook it", T0)));
        // The second in a row pauses the partition and asks to be woken when the pause ends.
        var paused = driver.HandedBack(job.Id, "again", T0);
        var wake = Assert.IsType<DriverCommand.WakeAt>(Assert.Single(paused));
        Assert.True(wake.At > T0);
        Assert.Empty(driver.Tick(wake.At.AddTicks(-1)).OfType<DriverCommand.Start>());
        Assert.Single(driver.Tick(wake.At).OfType<DriverCommand.Start>());
        var second = Assert.IsType<DriverCommand.WakeAt>(Assert.Single(driver.HandedBack(job.Id, "and again", wake.At)));
        Assert.True(second.At - wake.At > wake.At - T0);
    }

    [Fact]
    public void A_restarted_region_manager_has_lost_the_running_job_and_the_driver_runs_it_again()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        var job = Job("conv3x3_int8");
        Assert.Single(driver.Accept(job, 0, T0));

        var restarted = Guid.NewGuid();
        var commands = driver.Observe(new RegionObservation(P0, restarted, 1, RegionStatus.Loaded, new ModuleName("conv3x3_int8"), T0), T0.AddMilliseconds(1));

        Assert.Equal([new DriverCommand.Start(job, P0, 2)], commands);
    }

    [Fact]
    public void An_older_observation_does_not_overwrite_a_newer_one()
    {
        var driver = Driver();
        var newer = new RegionObservation(P0, First, 5, RegionStatus.Loaded, new ModuleName("conv5x5_int16"), T0);
        var older = new RegionObservation(P0, First, 4, RegionStatus.Loaded, new ModuleName("conv3x3_int8"), T0);
        driver.Observe(newer, T0);
        driver.Observe(older, T0);

        Assert.Equal("conv5x5_int16", Assert.Single(driver.Views).Module);
    }

    [Fact]
    public void An_upset_makes_the_partition_busy_until_its_reload_is_on_record()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        driver.Observe(Region(RegionStatus.Scrubbing, "conv3x3_int8"), T0);
        var job = Job("conv3x3_int8");

        Assert.Empty(driver.Accept(job, 0, T0));
        Assert.Equal([new DriverCommand.Start(job, P0, 1)], driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0.AddMilliseconds(2)));
    }

    [Fact]
    public void A_module_loaded_by_someone_else_is_pinned_through_a_scrub_until_the_driver_loads_the_partition()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        Assert.False(driver.Views[0].Pinned);

        driver.Observe(Region(RegionStatus.Loading, null), T0);
        driver.Observe(Region(RegionStatus.Loaded, "conv5x5_int16"), T0.AddMilliseconds(2));
        Assert.True(driver.Views[0].Pinned);
        driver.Observe(Region(RegionStatus.Scrubbing, "conv5x5_int16"), T0.AddMilliseconds(3));
        driver.Observe(Region(RegionStatus.Loaded, "conv5x5_int16"), T0.AddMilliseconds(4));
        Assert.True(driver.Views[0].Pinned);

        Assert.Equal([new DriverCommand.Load(P0, Conv3)], Settle(driver, driver.Accept(Job("conv3x3_int8", atMs: 4), 0, T0.AddMilliseconds(4))));
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0.AddMilliseconds(30));
        Assert.False(driver.Views[0].Pinned);
    }

    [Fact]
    public void A_refused_load_pauses_the_partition_then_it_is_tried_again()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Empty, null), T0);
        var job = Job("conv3x3_int8");
        var load = Settle(driver, driver.Accept(job, 0, T0));
        Assert.Equal([new DriverCommand.Load(P0, Conv3)], load);

        var refused = driver.LoadAnswered(P0, Conv3, "the journal is unavailable", T0.AddMilliseconds(20));
        var wake = Assert.IsType<DriverCommand.WakeAt>(Assert.Single(refused));
        Assert.Equal(T0.AddMilliseconds(120), wake.At);
        Assert.Equal([new DriverCommand.Load(P0, Conv3)], driver.Tick(wake.At).Where(c => c is not DriverCommand.WakeAt));
    }

    [Fact]
    public void A_load_answer_that_overtakes_the_event_asks_for_the_state_instead_of_loading_again()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Loaded, "conv5x5_int16"), T0);
        var job = Job("conv3x3_int8");
        Settle(driver, driver.Accept(job, 0, T0));

        var commands = driver.LoadAnswered(P0, Conv3, null, T0.AddMilliseconds(25));

        Assert.Equal([new DriverCommand.AskState(P0)], commands);
        Assert.Equal([new DriverCommand.Start(job, P0, 1)], driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0.AddMilliseconds(26)));
    }

    [Fact]
    public void The_answer_to_a_load_its_event_settled_does_not_mark_the_next_load_done()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Empty, null), T0);
        var first = Job("conv3x3_int8");
        Assert.Equal([new DriverCommand.Load(P0, Conv3)], Settle(driver, driver.Accept(first, 0, T0)));
        var second = Job("conv5x5_int16", atMs: 1);
        driver.Accept(second, 0, T0.AddMilliseconds(1));
        Assert.Equal(CancelOutcome.Cancelled, driver.Cancel(first.Id, T0.AddMilliseconds(2)).Outcome);

        // The region manager publishes its event before it answers: the event frees the partition, which loads
        // the module now due, then the answer to the first load comes.
        var next = driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0.AddMilliseconds(30));
        Assert.Equal([new DriverCommand.Load(P0, new ModuleName("conv5x5_int16"))], next.Where(c => c is not DriverCommand.WakeAt));
        var late = driver.LoadAnswered(P0, Conv3, null, T0.AddMilliseconds(30));

        // The second load is still under way: nothing more is sent to the partition until its event.
        Assert.DoesNotContain(late, c => c is DriverCommand.Load or DriverCommand.Start);
        Assert.True(driver.Views[0].Busy);
        Assert.Equal([new DriverCommand.Start(second, P0, 1)], driver.Observe(Region(RegionStatus.Loaded, "conv5x5_int16"), T0.AddMilliseconds(40)));
    }

    [Fact]
    public void A_job_started_as_often_as_allowed_before_a_restart_fails_at_once()
    {
        var driver = Driver(maxStarts: 3);
        var job = Job("conv3x3_int8");

        var fail = Assert.IsType<DriverCommand.Fail>(Assert.Single(driver.Accept(job, previousStarts: 3, T0)));

        Assert.Contains("started 3 times without an outcome", fail.Reason);
        Assert.Equal(0, driver.OpenJobs);
    }

    [Fact]
    public void When_every_partition_is_faulted_jobs_go_to_the_cpu()
    {
        var driver = Driver(partitions: 2);
        driver.Observe(Region(RegionStatus.Faulted, null, "p0"), T0);
        var job = Job("conv3x3_int8");
        Assert.Empty(driver.Accept(job, 0, T0));

        Assert.Equal([new DriverCommand.StartOnCpu(job, 1)], driver.Observe(Region(RegionStatus.Faulted, null, "p1"), T0));
    }

    [Fact]
    public void After_stop_nothing_is_started_but_outcomes_are_taken()
    {
        var driver = Driver();
        driver.Observe(Region(RegionStatus.Loaded, "conv3x3_int8"), T0);
        var running = Job("conv3x3_int8");
        driver.Accept(running, 0, T0);
        driver.Stop();

        Assert.Empty(driver.Accept(Job("conv3x3_int8"), 0, T0));
        Assert.Empty(driver.Ended(running.Id, T0));
        Assert.Equal(1, driver.OpenJobs);
    }
}
