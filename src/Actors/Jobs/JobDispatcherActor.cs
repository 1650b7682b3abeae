using Akka.Actor;
using Akka.Event;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Modules;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Modules;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Runs accepted jobs: announced by the intake (also again after a restart, for every open job), queued
/// in the <see cref="JobScheduler"/>, sent to the partitions it chooses (loading modules there through
/// the region managers), results written once to the <see cref="ResultStore"/>, every transition
/// recorded by the intake. Jobs handed back by a swap are queued again; jobs the scheduler gives to
/// the CPU (the board is faulted, or the tenant allows it and no partition holds the module) run on
/// the fast kernel.
/// </summary>
public sealed class JobDispatcherActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _intake;
    private readonly IReadOnlyDictionary<string, IActorRef> _regions;
    private readonly JobScheduler _scheduler;
    private readonly ResultStore _results;
    private readonly ConvKernel _cpu;
    private readonly TimeProvider _time;
    private readonly BlobStore? _blobs;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, PartitionView> _views;
    private readonly Dictionary<Guid, (QueuedJob Job, JobRequest Request, int Attempt)> _jobs = [];
    private readonly HashSet<Guid> _running = [];
    private IActorRef? _drainedListener;

    public JobDispatcherActor(
        IActorRef intake, IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, JobScheduler scheduler, ResultStore results, ConvKernel cpu, TimeProvider time, BlobStore? blobs = null)
    {
        _blobs = blobs;
        _intake = intake;
        _regions = regions;
        _scheduler = scheduler;
        _results = results;
        _cpu = cpu;
        _time = time;
        _views = regions.Keys.Order(StringComparer.Ordinal).ToDictionary(
            p => p,
            p => new PartitionView(p, null, false, null, null, catalog.Modules.Where(m => m.Partition.Name == p).Select(m => m.Name).ToList()));

        Receive<JobEvents.JobAccepted>(OnAccepted);
        Receive<RegionReplies.Loaded>(loaded =>
        {
            _views[loaded.Partition] = _views[loaded.Partition] with { Module = loaded.Module, Busy = false, LoadedAt = _time.GetUtcNow(), Faulted = false };
            Pump();
        });
        Receive<LoadFailed>(failed =>
        {
            _log.Warning("Loading {Module} into {Partition} failed: {Reason}", failed.Reply.Module, failed.Partition, failed.Reply.Reason);
            // Whether the partition is now faulted is the region manager's to say.
            _regions[failed.Partition].Tell(new RegionCommands.GetState());
        });
        Receive<RegionReplies.State>(state =>
        {
            _views[state.Partition] = _views[state.Partition] with
            {
                Module = state.Status == RegionStatus.Loaded ? state.Module : null,
                Busy = false,
                Faulted = state.Status == RegionStatus.Faulted,
            };
            Pump();
        });
        Receive<ModuleReplies.Completed>(done => Finish(done.JobId, done.Partition, done.Result.Requantized, done.Result.Raw));
        Receive<ModuleReplies.HandedBack>(back =>
        {
            if (_jobs.TryGetValue(back.JobId, out var entry))
            {
                _scheduler.Requeue(entry.Job);
                Idle(entry.Job.Module);
            }
            Stopped(back.JobId);
            Pump();
        });
        Receive<ModuleReplies.Failed>(failed =>
        {
            _intake.Tell(new JobCommands.RecordFailed(failed.JobId, failed.Reason));
            Close(failed.JobId, failed.Partition);
        });
        Receive<CpuDone>(done => Finish(done.JobId, "cpu", done.Requantized, done.Raw));
        Receive<Stored>(OnStored);
        Receive<Cancel>(cancel =>
        {
            var outcome = _scheduler.Cancel(new JobId(cancel.JobId));
            if (outcome == CancelOutcome.Cancelled)
            {
                _jobs.Remove(cancel.JobId);
                _intake.Tell(new JobCommands.RecordCancelled(cancel.JobId, cancel.By));
            }
            Sender.Tell(outcome);
        });
        Receive<Tick>(_ => Pump());
        Receive<Drain>(_ =>
        {
            _drainedListener = Sender;
            Stopped(null);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(
        IActorRef intake, IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, JobScheduler scheduler, ResultStore results, ConvKernel cpu, TimeProvider time, BlobStore? blobs = null) =>
        Akka.Actor.Props.Create(() => new JobDispatcherActor(intake, regions, catalog, scheduler, results, cpu, time, blobs));

    private void OnAccepted(JobEvents.JobAccepted accepted)
    {
        if (_jobs.ContainsKey(accepted.JobId))
        {
            return;
        }
        // The dispatcher keeps open jobs with their tensors; an input stored as a blob comes back inline here.
        var request = accepted.Request.Inline(_blobs);
        var job = new QueuedJob(new JobId(accepted.JobId), request.Tenant, request.Module, accepted.At, request.Priority, request.Deadline, CpuFallbackAllowed: request.CpuFallback);
        _jobs[accepted.JobId] = (job, request, 0);
        // The intake has already accepted it durably: the scheduler's admission bounds apply to new
        // submissions (the intake enforces its own), so an accepted job is always queued.
        if (_scheduler.TryEnqueue(job, _time.GetUtcNow()) is Admission.Refused)
        {
            _scheduler.Requeue(job);
        }
        Pump();
    }

    /// <summary>Asks the scheduler what each idle partition does next, in name order, then what the CPU takes.</summary>
    private void Pump()
    {
        if (_drainedListener is not null)
        {
            return;
        }
        var now = _time.GetUtcNow();
        DateTimeOffset? wake = null;
        foreach (var name in _views.Keys.ToList())
        {
            var view = _views[name];
            if (view.Busy || view.Faulted)
            {
                continue;
            }
            switch (_scheduler.Next(name, _views.Values.ToList(), now))
            {
                case Assignment.Run run:
                    Start(name, run.Job);
                    break;
                case Assignment.Load load:
                    _views[name] = view with { Busy = true };
                    var partition = name;
                    _regions[name].Ask<IRegionReply>(new RegionCommands.Load(load.Module), TimeSpan.FromMinutes(1)).PipeTo(
                        Self,
                        success: reply => reply is RegionReplies.LoadFailed f ? new LoadFailed(partition, f) : reply,
                        failure: e => new LoadFailed(partition, new RegionReplies.LoadFailed(partition, load.Module, e.Message)));
                    break;
                case Assignment.Hold { Until: { } until }:
                    wake = wake is { } w && w < until ? w : until;
                    break;
            }
        }
        var boardFaulted = _views.Values.All(v => v.Faulted);
        foreach (var job in _scheduler.TakeForCpu(_views.Values.ToList(), boardFaulted))
        {
            RunOnCpu(job);
        }
        if (wake is { } at)
        {
            Timers.StartSingleTimer("hold", Tick.Instance, at > now ? at - now : TimeSpan.Zero);
        }
    }

    private void Start(string partition, QueuedJob job)
    {
        var (_, request, attempt) = _jobs[job.Id.Value];
        _jobs[job.Id.Value] = (job, request, attempt + 1);
        _views[partition] = _views[partition] with { Busy = true, LastUsed = _time.GetUtcNow() };
        _running.Add(job.Id.Value);
        _intake.Tell(new JobCommands.RecordStarted(job.Id.Value, partition, job.Module, attempt + 1));
        _regions[partition].Tell(new ModuleCommands.Run(job.Id.Value, request.ToProblem()));
    }

    private void RunOnCpu(QueuedJob job)
    {
        var (_, request, attempt) = _jobs[job.Id.Value];
        _jobs[job.Id.Value] = (job, request, attempt + 1);
        _running.Add(job.Id.Value);
        _intake.Tell(new JobCommands.RecordStarted(job.Id.Value, "cpu", job.Module, attempt + 1));
        var problem = request.ToProblem();
        var id = job.Id.Value;
        Task.Run(() => problem.Spec.Output == ConvOutputMode.Raw
            ? new CpuDone(id, null, _cpu.Raw(problem))
            : new CpuDone(id, _cpu.Requantized(problem), null)).PipeTo(Self);
    }

    private void Finish(Guid jobId, string ranOn, int[]? requantized, long[]? raw)
    {
        if (_jobs.TryGetValue(jobId, out var entry))
        {
            var problem = entry.Request.ToProblem();
            var bytes = raw is not null ? TensorBytes.EncodeRaw(raw) : TensorBytes.Encode(requantized!, problem.Spec.Module.Bits / 8);
            var shape = problem.OutputShape;
            // Write-once: if the job ran twice (a restart between its run and its record), the first result
            // stays. The completion is recorded once the result is committed; until then the job counts as running.
            _results.StoreAsync(new ResultStore.StoredResult(jobId, problem.Spec.Module.Name.Value, [shape.N, shape.C, shape.H, shape.W], problem.Spec.Output.ToString().ToLowerInvariant(), ranOn, _time.GetUtcNow()), bytes)
                .PipeTo(Self, success: _ => new Stored(jobId, ranOn, null), failure: e => new Stored(jobId, ranOn, e.GetBaseException().Message));
            Close(jobId, ranOn, running: true);
            return;
        }
        Close(jobId, ranOn);
    }

    private void OnStored(Stored stored)
    {
        _intake.Tell(stored.Error is null
            ? new JobCommands.RecordCompleted(stored.JobId, stored.JobId.ToString("N"), stored.RanOn)
            : new JobCommands.RecordFailed(stored.JobId, $"the result could not be stored: {stored.Error}"));
        Stopped(stored.JobId);
    }

    /// <param name="running">The job still has work under way (its result being stored): it stays counted as running.</param>
    private void Close(Guid jobId, string partition, bool running = false)
    {
        _scheduler.Completed(new JobId(jobId));
        _jobs.Remove(jobId);
        if (!running)
        {
            Stopped(jobId);
        }
        if (_views.TryGetValue(partition, out var view))
        {
            _views[partition] = view with { Busy = false, LastUsed = _time.GetUtcNow() };
        }
        Pump();
    }

    /// <summary>A job came back from a partition that holds <paramref name="module"/>: that partition is free again.</summary>
    private void Idle(string module)
    {
        foreach (var (name, view) in _views.Where(v => v.Value.Busy && v.Value.Module == module).ToList())
        {
            _views[name] = view with { Busy = false };
        }
    }

    /// <summary>A job is no longer running; a drain waiting for the last one is answered.</summary>
    private void Stopped(Guid? jobId)
    {
        if (jobId is { } id)
        {
            _running.Remove(id);
        }
        if (_drainedListener is { } listener && _running.Count == 0)
        {
            listener.Tell(Drained.Instance);
        }
    }

    /// <summary>The service is stopping: start nothing more; answered with <see cref="Drained"/> once no job runs.</summary>
    public sealed record Drain;

    public sealed record Drained
    {
        public static readonly Drained Instance = new();
    }

    /// <summary>Cancel a queued job; answered with the <see cref="CancelOutcome"/>.</summary>
    public sealed record Cancel(Guid JobId, string By);

    private sealed record LoadFailed(string Partition, RegionReplies.LoadFailed Reply);

    private sealed record CpuDone(Guid JobId, int[]? Requantized, long[]? Raw);

    private sealed record Stored(Guid JobId, string RanOn, string? Error);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
