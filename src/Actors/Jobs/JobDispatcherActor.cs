using Akka.Actor;
using Akka.Event;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Modules;
using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Modules;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Runs accepted jobs: the actor around the <see cref="SchedulingDriver"/>. It feeds the driver what
/// happens — jobs the intake announces (also again after a restart, for every open job), every region
/// manager's published state, the answers of loads and the outcomes of jobs — and carries out what the
/// driver decides: runs on a partition's module, loads through the region managers, runs on the fast
/// CPU kernel, failures. Results are written once to the <see cref="IResultStore"/>; every transition is
/// recorded by the intake. The driver is created here, so a restart of this actor starts clean.
/// Each job is estimated when it is announced (<see cref="RunTimeEstimator"/>: its size against the
/// module's modelled throughput, refined by the run times its module measures), so fairness, aging and admission
/// weigh a 400-million-MAC job as such and not as the default millisecond.
/// </summary>
public sealed class JobDispatcherActor : ReceiveActor, IWithTimers
{
    private readonly string _board;
    private readonly IActorRef _intake;
    private readonly IReadOnlyDictionary<string, IActorRef> _regions;
    private readonly SchedulingDriver _driver;
    private readonly IResultStore _results;
    private readonly ConvKernel _cpu;
    private readonly TimeProvider _time;
    private readonly SteadyClock _clock;
    private readonly IBlobStore? _blobs;
    private readonly RunTimeEstimator _estimator = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>Open jobs: the request as accepted, and while started its input's bytes, read from the blob store if it is there.</summary>
    private readonly Dictionary<Guid, Open> _open = [];
    /// <summary>Jobs with work under way: on a module or the CPU, or their result being stored.</summary>
    private readonly HashSet<Guid> _inFlight = [];
    private IActorRef? _drainedListener;

    public JobDispatcherActor(
        string board, IActorRef intake, IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, SchedulerOptions options, IResultStore results, ConvKernel cpu, TimeProvider time, IBlobStore? blobs = null, int maxStarts = SchedulingDriver.DefaultMaxStarts)
    {
        _board = board;
        _blobs = blobs;
        _intake = intake;
        _regions = regions;
        _results = results;
        _cpu = cpu;
        _time = time;
        _clock = new SteadyClock(time);
        _driver = new SchedulingDriver(
            options,
            regions.Keys.Select(p => (new PartitionName(p), (IReadOnlyCollection<ModuleName>)[.. catalog.Modules.Where(m => m.Partition.Name == p).Select(m => new ModuleName(m.Name))])),
            maxStarts);

        Receive<JobIntakeActor.OpenJob>(OnOpen);
        Receive<Observed.RegionEvent>(e => e.Board == _board, e => Observe(e.State));
        Receive<RegionReplies.State>(Observe);
        Receive<RegionReplies.Loaded>(loaded => Execute(_driver.LoadAnswered(new PartitionName(loaded.Partition), new ModuleName(loaded.Module), null, Now)));
        Receive<RegionReplies.LoadFailed>(failed =>
        {
            _log.Warning("Loading {Module} into {Partition} failed: {Reason}", failed.Module, failed.Partition, failed.Reason);
            Execute(_driver.LoadAnswered(new PartitionName(failed.Partition), new ModuleName(failed.Module), failed.Reason, Now));
        });
        Receive<ModuleReplies.Completed>(done =>
        {
            if (_open.TryGetValue(done.JobId, out var open))
            {
                if (open.Size is { } size)
                {
                    _estimator.Observe(size, done.Ran);
                }
                Context.System.EventStream.Publish(new Observed.JobRan(_board, open.Request.Module, done.Ran));
            }
            Finish(done.JobId, done.Partition, done.Result.Output, done.Ran);
        });
        Receive<ModuleReplies.HandedBack>(back =>
        {
            _log.Info("Job {JobId} handed back: {Reason}", back.JobId, back.Reason);
            if (_open.TryGetValue(back.JobId, out var open))
            {
                // Read again when it starts again: a waiting job holds no tensor.
                open.Job = null;
            }
            Settled(back.JobId);
            Guarded(back.JobId, () => _driver.HandedBack(new JobId(back.JobId), back.Reason, Now, back.Started));
        });
        Receive<ModuleReplies.Failed>(failed => Fail(failed.JobId, failed.Reason));
        Receive<CpuDone>(done => Finish(done.JobId, "cpu", done.Output));
        Receive<RunFailed>(failed => Fail(failed.JobId, failed.Reason));
        Receive<Stored>(OnStored);
        Receive<Cancel>(cancel =>
        {
            var (outcome, commands) = _driver.Cancel(new JobId(cancel.JobId), Now);
            if (outcome == CancelOutcome.Cancelled)
            {
                _open.Remove(cancel.JobId);
                _intake.Tell(new JobCommands.RecordCancelled(cancel.JobId, cancel.By));
            }
            Sender.Tell(outcome);
            Execute(commands);
        });
        Receive<Tick>(_ => Execute(_driver.Tick(Now)));
        Receive<Drain>(_ =>
        {
            _driver.Stop();
            _drainedListener = Sender;
            Settled(null);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The driver's time: monotonic, so a wall-clock jump moves no aging bound, LRU order or pause.</summary>
    private DateTimeOffset Now => _clock.Now;

    public static Props Props(
        string board, IActorRef intake, IReadOnlyDictionary<string, IActorRef> regions, ModuleCatalog catalog, SchedulerOptions options, IResultStore results, ConvKernel cpu, TimeProvider time, IBlobStore? blobs = null, int maxStarts = SchedulingDriver.DefaultMaxStarts) =>
        Akka.Actor.Props.Create(() => new JobDispatcherActor(board, intake, regions, catalog, options, results, cpu, time, blobs, maxStarts));

    protected override void PreStart()
    {
        // Subscribed first, then asked: a change between the two arrives as an event with a later sequence number.
        Context.System.EventStream.Subscribe(Self, typeof(Observed.RegionEvent));
        foreach (var region in _regions.Values)
        {
            region.Tell(new RegionCommands.GetState());
        }
        // Every open job is announced to us, also after a restart of this actor (its driver starts empty).
        _intake.Tell(new JobIntakeActor.Subscribe(Self));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Observe(RegionReplies.State state)
    {
        var observation = RegionObservation.From(state);
        Execute(_driver.Observe(observation with { LoadedAt = observation.LoadedAt is { } at ? _clock.FromWallPast(at) : null }, Now));
    }

    private void OnOpen(JobIntakeActor.OpenJob open)
    {
        if (_open.ContainsKey(open.JobId))
        {
            return;
        }
        var request = open.Request;
        var size = JobSize.Of(request);
        _open[open.JobId] = new Open(request) { Size = size };
        // Acceptance and deadline are wall-clock instants: brought onto the driver's monotonic scale once, here.
        var job = new QueuedJob(
            new JobId(open.JobId), request.Tenant, request.Module, _clock.FromWallPast(open.At), request.Priority,
            request.Deadline is { } deadline ? _clock.FromWall(deadline) : null,
            EstimatedRun: size is null ? TimeSpan.Zero : _estimator.Estimate(size),
            CpuFallbackAllowed: request.CpuFallback);
        Guarded(open.JobId, () => _driver.Accept(job, open.Starts, Now));
    }

    /// <summary>
    /// An input about one job: if the driver cannot take it (a value no check foresaw), that job fails
    /// with the reason and is forgotten, and the board goes on with the others.
    /// </summary>
    private void Guarded(Guid jobId, Func<IReadOnlyList<DriverCommand>> input)
    {
        IReadOnlyList<DriverCommand> commands;
        try
        {
            commands = input();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or KeyNotFoundException)
        {
            _log.Error(e, "Job {JobId} could not be scheduled; it fails and the others go on", jobId);
            _driver.Drop(new JobId(jobId));
            Fail(jobId, $"the scheduler could not plan it: {e.Message}");
            return;
        }
        Execute(commands);
    }

    private void Execute(IReadOnlyList<DriverCommand> commands)
    {
        foreach (var command in commands)
        {
            switch (command)
            {
                case DriverCommand.Start start when Job(start.Job.Id.Value) is { } job:
                    _inFlight.Add(start.Job.Id.Value);
                    _intake.Tell(new JobCommands.RecordStarted(start.Job.Id.Value, start.Partition.Value, start.Job.Module, start.Attempt));
                    _regions[start.Partition.Value].Tell(new ModuleCommands.Run(start.Job.Id.Value, job));
                    break;
                case DriverCommand.StartOnCpu start when Job(start.Job.Id.Value) is { } job:
                    _inFlight.Add(start.Job.Id.Value);
                    _intake.Tell(new JobCommands.RecordStarted(start.Job.Id.Value, "cpu", start.Job.Module, start.Attempt));
                    RunOnCpu(start.Job.Id.Value, job);
                    break;
                case DriverCommand.Load load:
                    _regions[load.Partition.Value].Tell(new RegionCommands.Load(load.Module.Value));
                    break;
                case DriverCommand.AskState ask:
                    _regions[ask.Partition.Value].Tell(new RegionCommands.GetState());
                    break;
                case DriverCommand.Fail fail:
                    _log.Warning("Job {JobId} failed: {Reason}", fail.Job, fail.Reason);
                    _open.Remove(fail.Job.Value);
                    _intake.Tell(new JobCommands.RecordFailed(fail.Job.Value, fail.Reason));
                    break;
                case DriverCommand.WakeAt wake:
                    var now = Now;
                    Timers.StartSingleTimer("wake", Tick.Instance, wake.At > now ? wake.At - now : TimeSpan.Zero);
                    break;
            }
        }
    }

    /// <summary>
    /// The checked job at its native width, its input read (from the blob store, if it is there) when it
    /// starts and kept until it ends or is handed back; null (and the job failed) when its input can no
    /// longer be read.
    /// </summary>
    private ConvJob? Job(Guid jobId)
    {
        var open = _open[jobId];
        if (open.Job is null)
        {
            try
            {
                open.Job = open.Request.Inline(_blobs).ToJob();
            }
            catch (Exception e) when (e is IOException or ConvolutionException or InvalidOperationException)
            {
                Self.Tell(new RunFailed(jobId, $"its input could not be read: {e.Message}"));
                return null;
            }
        }
        return open.Job;
    }

    /// <summary>The CPU kernel takes Int32 tensors: the job is decoded for it, off the actor's thread, and its output encoded.</summary>
    private void RunOnCpu(Guid id, ConvJob job) =>
        Task.Run(() =>
        {
            var problem = job.ToProblem();
            return new CpuDone(id, problem.Spec.Output == ConvOutputMode.Raw
                ? TensorBytes.EncodeRaw(_cpu.Raw(problem))
                : TensorBytes.Encode(_cpu.Requantized(problem), job.Width));
        }).PipeTo(Self, failure: e => new RunFailed(id, $"the CPU kernel failed: {e.GetBaseException().Message}"));

    /// <param name="output">The output tensor in the byte layout of docs/convolution.md, stored as it is.</param>
    /// <param name="ran">What the module measured, for a job that ran on one.</param>
    private void Finish(Guid jobId, string ranOn, byte[] output, TimeSpan? ran = null)
    {
        if (_open.Remove(jobId, out var open) && open.Job is { } job)
        {
            var shape = job.OutputShape;
            // Write-once: if the job ran twice (a restart between its run and its record), the first result
            // stays. The completion is recorded once the result is committed; until then the job counts as running.
            // The answers capture the byte count, not the tensors: those must be garbage once the result is stored.
            var bytes = job.Input.Length + output.LongLength;
            _results.StoreAsync(new StoredResult(jobId, job.Spec.Module.Name.Value, [shape.N, shape.C, shape.H, shape.W], job.Spec.Output.ToString().ToLowerInvariant(), ranOn, _time.GetUtcNow()), output)
                .PipeTo(Self, success: _ => new Stored(jobId, ranOn, null, bytes), failure: e => new Stored(jobId, ranOn, e.GetBaseException().Message, bytes));
        }
        else
        {
            Settled(jobId);
        }
        Execute(_driver.Ended(new JobId(jobId), Now, ran));
    }

    private void Fail(Guid jobId, string reason)
    {
        _open.Remove(jobId);
        _intake.Tell(new JobCommands.RecordFailed(jobId, reason));
        Settled(jobId);
        Execute(_driver.Ended(new JobId(jobId), Now));
    }

    /// <summary>A job whose tensors held at least this many bytes is followed by a full collection (<see cref="OnStored"/>).</summary>
    private const long CollectAfterBytes = 16 << 20;

    private void OnStored(Stored stored)
    {
        _intake.Tell(stored.Error is null
            ? new JobCommands.RecordCompleted(stored.JobId, stored.JobId.ToString("N"), stored.RanOn)
            : new JobCommands.RecordFailed(stored.JobId, $"the result could not be stored: {stored.Error}"));
        Settled(stored.JobId);
        if (stored.Bytes >= CollectAfterBytes)
        {
            // The job's input and output are garbage now. A compacting collection that gives memory back to
            // the OS (Aggressive) brings the service back to its baseline, instead of holding the largest job's
            // tensors until the GC's own budget says so: on a board with 512 MB, the next large job needs them.
            Task.Run(() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));
        }
    }

    /// <summary>A job has no work under way any more; a drain waiting for the last one is answered.</summary>
    private void Settled(Guid? jobId)
    {
        if (jobId is { } id)
        {
            _inFlight.Remove(id);
        }
        if (_drainedListener is { } listener && _inFlight.Count == 0)
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

    /// <summary>
    /// An open job: its request as accepted (an input over <see cref="JobRequest.InlineLimit"/> is a blob key
    /// in it), and while it is started the job with its input's bytes (a request's inline input is not copied).
    /// </summary>
    private sealed class Open(JobRequest request)
    {
        public JobRequest Request { get; } = request;

        public ConvJob? Job { get; set; }

        /// <summary>Its size, for the estimate and for what its run teaches the estimator; null if its shapes say nothing.</summary>
        public JobSize? Size { get; init; }
    }

    private sealed record CpuDone(Guid JobId, byte[] Output);

    private sealed record RunFailed(Guid JobId, string Reason);

    /// <param name="Bytes">The job's input and output: what becomes garbage once its result is stored.</param>
    private sealed record Stored(Guid JobId, string RanOn, string? Error, long Bytes);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
