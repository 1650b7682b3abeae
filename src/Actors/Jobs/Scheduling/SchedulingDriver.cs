using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// The one scheduling loop: turns job arrivals, region observations and job outcomes into commands
/// (start a job here, load a module there, run on the CPU, fail a job, wake me at). Deterministic and
/// free of I/O, clocks and actors: time comes in with every input, commands go out as values. The
/// service's <see cref="JobDispatcherActor"/>, <c>dpr bench schedule</c> and the property tests all
/// drive this class, so what is measured and tested is what runs.
/// </summary>
/// <remarks>
/// What a partition holds is known only from its region manager (<see cref="Observe"/>, fed by the
/// region's published events and state replies, whoever caused the change: a job, an operator, an
/// SEM reload, recovery, a fault). The driver never assumes a command succeeded: a load is pending
/// until the region answers, a job runs until its outcome or hand-back arrives. A partition holds at
/// most one job of ours at a time. Every retry is bounded and paced: a job is started at most
/// <see cref="MaxStarts"/> times (restarts of the service included), and a partition that refused a
/// load or handed a job back is left alone for a back-off that doubles with each repetition.
/// </remarks>
public sealed class SchedulingDriver
{
    public const int DefaultMaxStarts = 3;

    /// <summary>The first pause after a refused load: a refusal comes from a fault or the journal, which take time to clear.</summary>
    private static readonly TimeSpan LoadBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>The first pause after repeated hand-backs: short, as each costs the waiting jobs' aging bound.</summary>
    private static readonly TimeSpan HandBackBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly JobScheduler _scheduler;
    private readonly SortedDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<JobId, Tracked> _jobs = [];
    private bool _stopped;

    /// <param name="partitions">Every partition the driver may use, with the modules it has images of.</param>
    public SchedulingDriver(SchedulerOptions options, IEnumerable<(PartitionName Name, IReadOnlyCollection<ModuleName> Hosts)> partitions, int maxStarts = DefaultMaxStarts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStarts, 1);
        _scheduler = new JobScheduler(options);
        MaxStarts = maxStarts;
        foreach (var (name, hosts) in partitions)
        {
            _slots.Add(name.Value, new Slot(name, [.. hosts.Select(m => m.Value)]));
        }
    }

    public int MaxStarts { get; }

    public JobScheduler Scheduler => _scheduler;

    /// <summary>Jobs the driver knows that have not ended: queued, running, or waiting to be retried.</summary>
    public int OpenJobs => _jobs.Count;

    /// <summary>What the driver believes of each partition (for logs and tests).</summary>
    public IReadOnlyList<PartitionView> Views => [.. _slots.Values.Select(s => s.View)];

    /// <summary>
    /// An accepted job (or one still open after a restart, <paramref name="previousStarts"/> times started
    /// before). Announcing a job the driver already knows changes nothing.
    /// </summary>
    public IReadOnlyList<DriverCommand> Accept(QueuedJob job, int previousStarts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        var commands = new List<DriverCommand>();
        if (_jobs.ContainsKey(job.Id))
        {
            return commands;
        }
        if (previousStarts >= MaxStarts)
        {
            commands.Add(new DriverCommand.Fail(job.Id, $"started {previousStarts} times without an outcome (the service stopped during each run); not started again"));
            return commands;
        }
        _jobs[job.Id] = new Tracked(job, previousStarts);
        // The intake enforces the admission bounds on submissions; an accepted job is always queued.
        if (_scheduler.TryEnqueue(job, now) is Admission.Refused)
        {
            _scheduler.Requeue(job);
        }
        return Pump(commands, now);
    }

    /// <summary>
    /// A new job under the scheduler's own admission bounds (queue, tenant quota, backlog against the aging
    /// bound): refused jobs are not kept. For owners without an intake of their own (the benchmark).
    /// </summary>
    public (Admission Admission, IReadOnlyList<DriverCommand> Commands) Submit(QueuedJob job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        var admission = _scheduler.TryEnqueue(job, now);
        if (admission is Admission.Refused)
        {
            return (admission, []);
        }
        _jobs[job.Id] = new Tracked(job, 0);
        return (admission, Pump([], now));
    }

    /// <summary>What a region manager says its partition is now (a published event's resulting state, or a state reply).</summary>
    public IReadOnlyList<DriverCommand> Observe(RegionObservation observation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var commands = new List<DriverCommand>();
        if (!_slots.TryGetValue(observation.Partition.Value, out var slot))
        {
            return commands;
        }
        if (slot.Incarnation is { } known && known != observation.Incarnation)
        {
            // The region manager restarted: its module actor, with our job, and any load we asked for are gone.
            slot.Loading = null;
            slot.SequenceNr = -1;
            if (slot.Running is { } lost)
            {
                HandBack(lost, $"the region manager of {slot.Name} restarted", now, commands);
            }
        }
        else if (observation.SequenceNr < slot.SequenceNr)
        {
            return Pump(commands, now);
        }
        var module = observation.Status == RegionStatus.Loaded ? observation.Module?.Value : null;
        // A module that replaced what the region last held without our asking was loaded by someone else (an
        // operator): prefetch leaves it. The first word of a region incarnation (a start or restart, its or ours) is
        // nobody's load, and the same module again (after a scrub, an upset's repair) keeps the mark.
        if (module is not null && module != slot.LastLoaded)
        {
            slot.Pinned = slot.Incarnation == observation.Incarnation && module != slot.Loading;
            slot.LastLoaded = module;
        }
        else if (observation.Status == RegionStatus.Empty)
        {
            slot.Pinned = false;
            slot.LastLoaded = null;
        }
        slot.Incarnation = observation.Incarnation;
        slot.SequenceNr = observation.SequenceNr;
        slot.Status = observation.Status;
        slot.Module = module;
        slot.LoadedAt = observation.LoadedAt;
        if (observation.LoadedAt > slot.LastUsed || slot.LastUsed is null)
        {
            slot.LastUsed = observation.LoadedAt;
        }
        // The load we asked for is done once the region holds it (its answer may still be on the way), or
        // once the state we asked for instead of guessing is in; a faulted region loads nothing.
        if ((observation.Status == RegionStatus.Loaded && observation.Module?.Value == slot.Loading) || slot.AwaitingState || observation.Status == RegionStatus.Faulted)
        {
            slot.Loading = null;
            slot.AwaitingState = false;
        }
        return Pump(commands, now);
    }

    /// <summary>The region answered a load the driver asked for: loaded (<paramref name="failure"/> null) or refused.</summary>
    public IReadOnlyList<DriverCommand> LoadAnswered(PartitionName partition, ModuleName module, string? failure, DateTimeOffset now)
    {
        var commands = new List<DriverCommand>();
        if (!_slots.TryGetValue(partition.Value, out var slot))
        {
            return commands;
        }
        if (slot.Loading != module.Value)
        {
            // The answer to a load the region's event has already settled (the region manager publishes the event
            // before it answers): the partition may be loading the next module we asked for since, which this
            // answer must not mark done.
            return Pump(commands, now);
        }
        if (failure is not null)
        {
            slot.Loading = null;
            slot.Refused(now, LoadBackoff, firstIsFree: false);
        }
        else if (slot.Module != module.Value)
        {
            // Loaded, says the answer, but no event has shown it (it overtook the event, or the module was
            // there and nothing was published): ask for the state rather than guess, or the next decision
            // would load it again. The partition stays busy until the state is in.
            commands.Add(new DriverCommand.AskState(partition));
            slot.AwaitingState = true;
        }
        else
        {
            slot.Loading = null;
        }
        return Pump(commands, now);
    }

    /// <summary>
    /// A started job has its outcome (completed or failed) and no longer occupies its partition. Its tenant
    /// is charged <paramref name="ran"/> if the module measured it, else the time since the driver started it
    /// (which also counts the messages to and from the module, and any wait in the owner's mailbox).
    /// </summary>
    public IReadOnlyList<DriverCommand> Ended(JobId id, DateTimeOffset now, TimeSpan? ran = null)
    {
        var commands = new List<DriverCommand>();
        if (_jobs.Remove(id, out var job))
        {
            // What a job on a partition took is known here (its start and end both came through the
            // driver): its tenant is charged that, not the estimate.
            _ = job.Partition is not null && (ran ?? now - job.StartedAt) is { } took
                ? _scheduler.Finished(id, took, now)
                : _scheduler.Completed(id);
            if (job.Partition is { } p && _slots[p.Value] is { } slot && slot.Running == id)
            {
                slot.Running = null;
                slot.LastUsed = now;
                slot.Refusals = 0;
            }
        }
        return Pump(commands, now);
    }

    /// <summary>
    /// A partition gave a started job back without running it to an end (a swap, an upset, a stopped module). One that
    /// never reached a module (<paramref name="started"/> false: the partition was being loaded, after a failover's
    /// recovery for instance) does not count as a start; it is still paced by the partition's back-off.
    /// </summary>
    public IReadOnlyList<DriverCommand> HandedBack(JobId id, string reason, DateTimeOffset now, bool started = true)
    {
        var commands = new List<DriverCommand>();
        if (!started && _jobs.TryGetValue(id, out var job) && job.Partition is { } p && _slots[p.Value].Running == id)
        {
            job.Starts--;
        }
        HandBack(id, reason, now, commands);
        return Pump(commands, now);
    }

    /// <summary>Cancels a queued job; a running one is only reported.</summary>
    public (CancelOutcome Outcome, IReadOnlyList<DriverCommand> Commands) Cancel(JobId id, DateTimeOffset now)
    {
        var outcome = _scheduler.Cancel(id);
        if (outcome == CancelOutcome.Cancelled)
        {
            _jobs.Remove(id);
        }
        return (outcome, Pump([], now));
    }

    /// <summary>
    /// Forgets a job whatever its state (queued, running, pending a retry), for an owner that could not
    /// handle it: the job is failed there, the others go on.
    /// </summary>
    public void Drop(JobId id)
    {
        if (!_jobs.Remove(id, out var job))
        {
            return;
        }
        if (_scheduler.Cancel(id) == CancelOutcome.Running)
        {
            _scheduler.Completed(id);
        }
        if (job.Partition is { } p && _slots[p.Value].Running == id)
        {
            _slots[p.Value].Running = null;
        }
    }

    /// <summary>The time a <see cref="DriverCommand.WakeAt"/> named has come.</summary>
    public IReadOnlyList<DriverCommand> Tick(DateTimeOffset now) => Pump([], now);

    /// <summary>The service is stopping: nothing more is started or loaded; outcomes are still taken.</summary>
    public void Stop() => _stopped = true;

    private void HandBack(JobId id, string reason, DateTimeOffset now, List<DriverCommand> commands)
    {
        if (!_jobs.TryGetValue(id, out var job))
        {
            return;
        }
        if (job.Partition is { } p && _slots[p.Value] is { } slot && slot.Running == id)
        {
            slot.Running = null;
            slot.Refused(now, HandBackBackoff, firstIsFree: true);
        }
        job.Partition = null;
        if (job.Starts >= MaxStarts)
        {
            _jobs.Remove(id);
            _scheduler.Completed(id);
            commands.Add(new DriverCommand.Fail(id, $"started {job.Starts} times and handed back each time; the last time: {reason}"));
            return;
        }
        _scheduler.Requeue(job.Job);
    }

    /// <summary>Asks the scheduler what each idle partition does next, in name order, then what the CPU takes.</summary>
    private List<DriverCommand> Pump(List<DriverCommand> commands, DateTimeOffset now)
    {
        if (_stopped)
        {
            return commands;
        }
        DateTimeOffset? wake = null;
        void WakeBy(DateTimeOffset at) => wake = wake is { } w && w < at ? w : at;
        var views = _slots.Values.Select(s => s.View).ToList();
        foreach (var slot in _slots.Values)
        {
            if (slot.View is { Busy: true } or { Faulted: true })
            {
                continue;
            }
            if (slot.PausedUntil is { } paused && paused > now)
            {
                WakeBy(paused);
                continue;
            }
            switch (_scheduler.Next(slot.Name, views, now))
            {
                case Assignment.Run run:
                    var job = _jobs[run.Job.Id];
                    job.Starts++;
                    job.Partition = slot.Partition;
                    job.StartedAt = now;
                    slot.Running = run.Job.Id;
                    commands.Add(new DriverCommand.Start(run.Job, slot.Partition, job.Starts));
                    views = _slots.Values.Select(s => s.View).ToList();
                    break;
                case Assignment.Load load:
                    slot.Loading = load.Module;
                    commands.Add(new DriverCommand.Load(slot.Partition, new ModuleName(load.Module), load.Prefetch));
                    views = _slots.Values.Select(s => s.View).ToList();
                    break;
                case Assignment.Hold { Until: { } until }:
                    WakeBy(until);
                    break;
            }
        }
        // The board is faulted when every partition's region manager says so (a board without partitions is too).
        var boardFaulted = views.All(v => v.Known && v.Faulted);
        foreach (var job in _scheduler.TakeForCpu(views.Where(v => v.Known).ToList(), boardFaulted))
        {
            var tracked = _jobs[job.Id];
            tracked.Starts++;
            commands.Add(new DriverCommand.StartOnCpu(job, tracked.Starts));
        }
        if (wake is { } at)
        {
            commands.Add(new DriverCommand.WakeAt(at));
        }
        return commands;
    }

    private sealed class Tracked(QueuedJob job, int starts)
    {
        public QueuedJob Job { get; } = job;

        public int Starts { get; set; } = starts;

        /// <summary>Where it runs now; null while queued or on the CPU.</summary>
        public PartitionName? Partition { get; set; }

        /// <summary>When it last started on a partition.</summary>
        public DateTimeOffset? StartedAt { get; set; }
    }

    /// <summary>One partition: what its region manager last said, and what the driver has asked of it.</summary>
    private sealed class Slot(PartitionName partition, IReadOnlyCollection<string> hosts)
    {
        public PartitionName Partition { get; } = partition;

        public string Name => Partition.Value;

        public Guid? Incarnation { get; set; }

        public long SequenceNr { get; set; } = -1;

        public RegionStatus Status { get; set; }

        public string? Module { get; set; }

        public DateTimeOffset? LoadedAt { get; set; }

        public DateTimeOffset? LastUsed { get; set; }

        /// <summary>The job of ours it runs, until its outcome or hand-back.</summary>
        public JobId? Running { get; set; }

        /// <summary>The module we asked it to load, until it answers.</summary>
        public string? Loading { get; set; }

        /// <summary>The module it was last seen holding, through scrubs and faults.</summary>
        public string? LastLoaded { get; set; }

        /// <summary>Its module was loaded by someone else (an operator): no prefetch replaces it.</summary>
        public bool Pinned { get; set; }

        /// <summary>A load's answer came before any sign of it: the next observation settles it.</summary>
        public bool AwaitingState { get; set; }

        /// <summary>Refused loads and hand-backs in a row: each doubles the pause.</summary>
        public int Refusals { get; set; }

        public DateTimeOffset? PausedUntil { get; set; }

        public PartitionView View => new(
            Name,
            Module,
            Busy: Incarnation is null || Running is not null || Loading is not null || Status is RegionStatus.Loading or RegionStatus.Scrubbing,
            LoadedAt,
            LastUsed,
            hosts,
            Faulted: Status == RegionStatus.Faulted,
            Known: Incarnation is not null,
            Pinned: Pinned);

        /// <summary>
        /// Another refusal in a row: the partition is left alone for a back-off from <paramref name="first"/>
        /// that doubles each time. With <paramref name="firstIsFree"/> the first refusal costs nothing (a job
        /// handed back once by a swap that overtook it is normal; the same again is not).
        /// </summary>
        public void Refused(DateTimeOffset now, TimeSpan first, bool firstIsFree)
        {
            Refusals++;
            var paused = Refusals - (firstIsFree ? 2 : 1);
            if (paused >= 0)
            {
                var backoff = first * Math.Pow(2, Math.Min(paused, 10));
                PausedUntil = now + (backoff < MaxBackoff ? backoff : MaxBackoff);
            }
        }
    }
}
