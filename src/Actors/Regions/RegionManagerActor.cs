using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Dpr.Actors.Modules;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Modules;
using Dpr.Fabric.Ports;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Actors.Regions;

/// <summary>
/// The only writer of one partition. Swaps run one at a time: drain the module, persist
/// <see cref="SwapStarted"/>, decouple and write through the port off the actor thread, recouple,
/// bind the driver, persist <see cref="SwapCompleted"/>, start the module actor, reply. Requests
/// that arrive meanwhile wait (same module) or are stashed (another). A failed write is on record
/// and retried with back-off; past the bound the partition is Faulted until an operator resets it.
/// Replies go out only after the event is stored.
/// <para>
/// Bounded journal: a stored snapshot replaces the snapshots before it, and events are deleted once a
/// snapshot covers them and they are older than <see cref="RegionOptions.SwapHistory"/> — the swap
/// history is read from this journal, so it keeps that period. Which events are old enough is known
/// from marks (a sequence number and the time of its event) taken at each snapshot, the recovered one
/// included, checked at each stored snapshot and every hour.
/// </para>
/// </summary>
public sealed class RegionManagerActor : ReceivePersistentActor, IWithTimers
{
    private readonly string _board;
    private readonly PartitionHardware _hardware;
    private readonly ModuleCatalog _catalog;
    private readonly RegionOptions _options;
    private readonly TimeProvider _time;
    private readonly SteadyClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, List<IActorRef>> _waiting = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>This start of the actor: others learn from a new one that whatever it was doing for them is gone.</summary>
    private readonly Guid _incarnation = Guid.NewGuid();
    private RegionState _state = RegionState.Initial;
    private IActorRef? _moduleActor;
    private DateTimeOffset? _lastUsed;
    /// <summary>When upset reloads happened, on the monotonic clock (the recorded ones brought onto it at recovery): the rate bound's window.</summary>
    private List<DateTimeOffset> _upsetReloads = [];
    /// <summary>Events up to <c>SequenceNr</c> happened at or before <c>At</c>; one per snapshot not yet deleted past, oldest first.</summary>
    private readonly List<(long SequenceNr, DateTimeOffset At)> _marks = [];
    /// <summary>The latest snapshot stored: recovery starts there, so events up to it may go.</summary>
    private long _snapshotted;
    private long _deletedTo;
    /// <summary>The module being loaded while <see cref="Swapping"/> is the behaviour; null otherwise.</summary>
    private ModuleEntry? _swapTarget;
    private readonly UntypedReceive _swapping;

    public RegionManagerActor(string board, PartitionHardware hardware, ModuleCatalog catalog, RegionOptions options, TimeProvider time)
    {
        _board = board;
        _hardware = hardware;
        _catalog = catalog;
        _options = options;
        _time = time;
        _clock = new SteadyClock(time);
        _swapping = Swapping;
        JournalPluginId = options.JournalPluginId ?? string.Empty;
        SnapshotPluginId = options.SnapshotPluginId ?? string.Empty;
        Recover<IRegionEvent>(e => _state = _state.Apply(e));
        Recover<SnapshotOffer>(offer =>
        {
            _state = (RegionState)offer.Snapshot;
            _snapshotted = offer.Metadata.SequenceNr;
            if (_state.LastEventAt is { } at)
            {
                _marks.Add((offer.Metadata.SequenceNr, at));
            }
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _upsetReloads = [.. _state.RecentUpsetReloads.Select(_clock.FromWallPast)];
            Timers.StartPeriodicTimer(TrimJournal.Instance, TrimJournal.Instance, TimeSpan.FromHours(1));
            Become(Starting);
            Self.Tell(Resume.Instance);
        });
        Ready();
    }

    public override string PersistenceId => PersistenceIdFor(_board, Partition);

    public ITimerScheduler Timers { get; set; } = null!;

    private string Partition => _hardware.Partition.Name;

    public static string PersistenceIdFor(string board, string partition) => $"region-{board}-{partition}";

    public static Props Props(string board, PartitionHardware hardware, ModuleCatalog catalog, RegionOptions options, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new RegionManagerActor(board, hardware, catalog, options, time));

    /// <summary>After recovery: bring the partition to what the journal says before anything else runs.</summary>
    private void Starting()
    {
        Command<Resume>(_ =>
        {
            Become(Ready);
            Context.System.EventStream.Publish(new Observed.RegionEvent(_board, Partition, null, Snapshot()));
            var module = _state.ReloadModule is { } name ? _catalog.Find(name, Partition) : null;
            if (_state.Status == RegionStatus.Faulted || module is null)
            {
                Stash.UnstashAll();
                return;
            }
            if (_state.NeedsReload)
            {
                _log.Warning("Partition {Partition} was {Status} when the service stopped; reloading {Module}", Partition, _state.Status, module.Name);
                BeginSwap(module, "recovery: the last swap has no outcome on record", null);
                return;
            }
            try
            {
                StartModule(_hardware.Bind(module));
            }
            catch (Exception e) when (e is DriverException or Fabric.Mmio.MmioException)
            {
                _log.Warning("Partition {Partition} should hold {Module} but it does not answer ({Reason}); reloading", Partition, module.Name, e.Message);
                BeginSwap(module, "recovery: the module does not answer", null);
                return;
            }
            Stash.UnstashAll();
        });
        CommandAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        Retention();
        Command<RegionCommands.Load>(load =>
        {
            var module = _catalog.Find(load.Module, Partition) ?? _catalog.Find(load.Module);
            var served = _catalog.Modules.Where(m => m.Partition.Name == Partition).Select(m => m.Name);
            switch (_state.DecideLoad(Partition, load.Module, module, served, _moduleActor is not null))
            {
                case LoadDecision.Refuse refuse:
                    Sender.Tell(new RegionReplies.LoadFailed(Partition, load.Module, refuse.Reason));
                    break;
                case LoadDecision.Loaded:
                    _lastUsed = _time.GetUtcNow();
                    Sender.Tell(new RegionReplies.Loaded(Partition, module!.Name, Hit: true));
                    break;
                default:
                    BeginSwap(module!, "requested", Sender);
                    break;
            }
        });
        Command<ModuleCommands.Run>(run =>
        {
            var wanted = run.Job.Spec.Module.Name.Value;
            if (_moduleActor is not null && _state.Status == RegionStatus.Loaded && wanted == _state.Module)
            {
                _lastUsed = _time.GetUtcNow();
                _moduleActor.Forward(run);
            }
            else
            {
                Sender.Tell(new ModuleReplies.HandedBack(run.JobId, wanted, $"partition {Partition} is {_state.Status}{(_state.Module is { } m ? $" with {m}" : "")}, not running {wanted}", Started: false));
            }
        });
        Command<RegionCommands.ReportUpset>(OnUpset);
        Command<RegionCommands.Reset>(reset =>
        {
            var events = _state.DecideReset(reset.By, _time.GetUtcNow());
            Record(events, () =>
            {
                if (events.Count > 0)
                {
                    _upsetReloads.Clear();
                    _log.Info("Partition {Partition} reset by {By}", Partition, reset.By);
                }
                Sender.Tell(Snapshot());
            });
        });
        Command<RegionCommands.Invalidate>(Invalidate);
        Command<RegionCommands.Hold>(hold =>
        {
            var requester = Sender;
            Become(() => Held(hold));
            Timers.StartSingleTimer("hold", new HoldExpired(hold), hold.Within);
            if (_moduleActor is { } running)
            {
                // As before a swap: the running job finishes (within the bound); queued ones are handed back.
                _moduleActor = null;
                running.Ask<ModuleReplies.Drained>(new ModuleCommands.Drain(), _options.JobDrainTimeout)
                    .ContinueWith(_ => new HoldReached(requester), TaskScheduler.Default)
                    .PipeTo(Self);
                return;
            }
            Self.Tell(new HoldReached(requester));
        });
        Command<RegionCommands.Release>(_ => Sender.Tell(Snapshot()));
        Command<RegionCommands.GetState>(_ => Sender.Tell(Snapshot()));
    }

    private void Invalidate(RegionCommands.Invalidate invalidate)
    {
        StopModule();
        _hardware.Binding.Invalidate();
        Persist(new RegionInvalidated(invalidate.Reason, _time.GetUtcNow()), e =>
        {
            Apply(e);
            _log.Info("Partition {Partition} is empty: {Reason}", Partition, invalidate.Reason);
            Sender.Tell(Snapshot());
        });
    }

    /// <summary>
    /// Held for a full load of the static design (<see cref="RegionCommands.Hold"/>): nothing is written or run
    /// here until the load's outcome arrives; a hold nobody ends within its bound faults the partition, as the
    /// PL may have been rewritten meanwhile.
    /// </summary>
    private void Held(RegionCommands.Hold hold)
    {
        Retention();
        Command<HoldReached>(reached =>
        {
            _log.Info("Partition {Partition} held: {Reason}", Partition, hold.Reason);
            reached.Requester.Tell(Snapshot());
        });
        Command<RegionCommands.Invalidate>(invalidate =>
        {
            Timers.Cancel("hold");
            Invalidate(invalidate);
            ToReady();
        });
        Command<RegionCommands.Release>(release =>
        {
            Timers.Cancel("hold");
            if (release.Failure is { } failure)
            {
                Persist(new RegionFaulted(failure, _time.GetUtcNow()), e =>
                {
                    Apply(e);
                    Sender.Tell(Snapshot());
                    Faulted(null);
                });
                return;
            }
            Sender.Tell(Snapshot());
            // Nothing was written: bring the module back (or reload it) as after a restart.
            Become(Starting);
            Self.Tell(Resume.Instance);
        });
        Command<HoldExpired>(expired => Persist(
            new RegionFaulted($"held for a static load ({expired.Hold.Reason}) that did not end within {expired.Hold.Within}; the PL may have been rewritten", _time.GetUtcNow()),
            e =>
            {
                Apply(e);
                Faulted(null);
            }));
        Command<ModuleCommands.Run>(run => Sender.Tell(new ModuleReplies.HandedBack(run.JobId, run.Job.Spec.Module.Name.Value, $"partition {Partition} is held for a static load", Started: false)));
        Command<RegionCommands.GetState>(_ => Sender.Tell(Snapshot()));
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>Snapshots and deletions, in every behaviour but the start (which stashes them).</summary>
    private void Retention() => Command<object>(Retain);

    /// <summary>Handles a snapshot or deletion outcome (true), or leaves the message to the behaviour's other handlers (false).</summary>
    private bool Retain(object message)
    {
        switch (message)
        {
            case SaveSnapshotSuccess success:
                _snapshotted = Math.Max(_snapshotted, success.Metadata.SequenceNr);
                Context.System.EventStream.Publish(new Observed.RegionSnapshotted(_board, Partition, success.Metadata.SequenceNr));
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                Trim();
                return true;
            case SaveSnapshotFailure f:
                _log.Warning("Snapshot of {Partition} failed: {Reason}", Partition, f.Cause.Message);
                return true;
            case TrimJournal:
                Trim();
                return true;
            case DeleteMessagesSuccess deleted:
                _deletedTo = Math.Max(_deletedTo, deleted.ToSequenceNr);
                _marks.RemoveAll(m => m.SequenceNr < _deletedTo);
                return true;
            case DeleteMessagesFailure f:
                _log.Warning("Deleting the journal of {Partition} up to {SequenceNr} failed (tried again later): {Reason}", Partition, f.ToSequenceNr, f.Cause.Message);
                return true;
            case DeleteSnapshotsSuccess:
                return true;
            case DeleteSnapshotsFailure f:
                _log.Warning("Deleting old snapshots of {Partition} failed (tried again at the next): {Reason}", Partition, f.Cause.Message);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Deletes the events a stored snapshot covers that are older than the swap history: up to the
    /// newest mark within the snapshot that is past the period (events before a mark are no younger).
    /// </summary>
    private void Trim()
    {
        var before = _time.GetUtcNow() - _options.SwapHistory;
        var upTo = _marks.Where(m => m.SequenceNr <= _snapshotted && m.At < before).Select(m => m.SequenceNr).DefaultIfEmpty(0).Max();
        if (upTo > _deletedTo)
        {
            DeleteMessages(upTo);
        }
    }

    /// <summary>
    /// The behaviour while a swap runs, pushed over the one it started from and popped when the swap ends
    /// (<see cref="ToReady"/>). A plain method rather than <c>Command</c> registrations: those rebuild Akka's handler
    /// tables at every <c>Become</c>, twice per swap, which was a third of what a swap allocated (docs/benchmarks/regions.md).
    /// </summary>
    private void Swapping(object message)
    {
        if (Retain(message))
        {
            return;
        }
        var target = _swapTarget!;
        switch (message)
        {
            case RegionCommands.Load load:
                if (string.Equals(load.Module, target.Name, StringComparison.OrdinalIgnoreCase) || target.Manifest.Aliases.Contains(load.Module, StringComparer.OrdinalIgnoreCase))
                {
                    Wait(target.Name, Sender);
                }
                else
                {
                    Stash.Stash();
                }
                break;
            case Rechecked rechecked:
                OnRechecked(rechecked);
                break;
            case Drained d:
                Write(d.Module, d.Reason, 1);
                break;
            case Retry r:
                Write(r.Module, r.Reason, r.Attempt);
                break;
            case WriteDone done:
                OnWriteDone(done);
                break;
            case WriteFailed failed:
                OnWriteFailed(failed);
                break;
            case ModuleCommands.Run run:
                Sender.Tell(new ModuleReplies.HandedBack(run.JobId, run.Job.Spec.Module.Name.Value, $"partition {Partition} is being loaded with {target.Name}", Started: false));
                break;
            case RegionCommands.GetState:
                Sender.Tell(Snapshot());
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    /// <summary>
    /// Back to <see cref="Ready"/>, and to the requests stashed meanwhile: at a swap's end by popping its behaviour (the one
    /// it started from is Ready, built once), from anywhere else (a hold, a fault while ready) by becoming Ready.
    /// </summary>
    private void ToReady()
    {
        if (_swapTarget is not null)
        {
            _swapTarget = null;
            Context.UnbecomeStacked();
        }
        else
        {
            Become(Ready);
        }
        Stash.UnstashAll();
    }

    private void BeginSwap(ModuleEntry module, string reason, IActorRef? requester)
    {
        _swapTarget = module;
        BecomeStacked(_swapping);
        if (requester is not null)
        {
            Wait(module.Name, requester);
        }
        // Every swap checks the module's files again (signature, hash, verdict): what was good when the catalog
        // loaded may have been replaced since. Unchanged files (two stat calls) pass here; others are read and
        // verified off the actor thread.
        if (_catalog.PassesUnread(module))
        {
            OnRechecked(new Rechecked(module, reason, null));
            return;
        }
        Task.Run(() => _catalog.Recheck(module))
            .ContinueWith(
                t => new Rechecked(module, reason, t.IsCompletedSuccessfully ? t.Result : new ModuleProblem(module.ManifestPath ?? module.Name, "manifest", $"cannot check it again: {t.Exception?.GetBaseException().Message}")),
                TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnRechecked(Rechecked rechecked)
    {
        var (module, reason, problem) = rechecked;
        if (problem is not null)
        {
            // Refused before anything is on record or written: the partition keeps what it holds.
            _log.Error("Refusing to load {Module} into {Partition}: {Field}: {Reason}", module.Name, Partition, problem.Field, problem.Message);
            Answer(module.Name, new RegionReplies.LoadFailed(Partition, module.Name, $"refused: {problem.Field}: {problem.Message}"));
            ToReady();
            return;
        }
        if (_moduleActor is { } running)
        {
            // The running job finishes (within the bound); queued jobs are handed back to their senders.
            _moduleActor = null;
            running.Ask<ModuleReplies.Drained>(new ModuleCommands.Drain(), _options.JobDrainTimeout)
                .ContinueWith(_ => new Drained(module, reason), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .PipeTo(Self);
            return;
        }
        Write(module, reason, 1);
    }

    private void Write(ModuleEntry module, string reason, int attempt)
    {
        var swapId = Guid.NewGuid();
        Persist(new SwapStarted(swapId, module.Name, attempt, reason, _time.GetUtcNow()), e =>
        {
            Apply(e);
            if (_log.IsInfoEnabled)
            {
                // Guarded: the arguments' array and boxes are built at the call, logged or not (twice per swap).
                _log.Info("Swap {SwapId}: loading {Module} into {Partition} (attempt {Attempt}, {Reason})", swapId, module.Name, Partition, attempt, reason);
            }
            var clock = Stopwatch.StartNew();
            var cts = new CancellationTokenSource(_options.WriteTimeout);
            _hardware.SwapAsync(module, cts.Token).ContinueWith(
                t =>
                {
                    cts.Dispose();
                    return t.IsCompletedSuccessfully
                        ? new WriteDone(swapId, module, t.Result.Write, t.Result.Driver, clock.Elapsed)
                        : (object)new WriteFailed(swapId, module, reason, attempt, t.Exception?.GetBaseException() ?? new OperationCanceledException());
                },
                // The continuation only wraps the outcome into a message: no hop to the thread pool for it.
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).PipeTo(Self);
        });
    }

    private void OnWriteDone(WriteDone done)
    {
        Persist(new SwapCompleted(done.SwapId, done.Module.Name, done.Write.Duration.TotalMilliseconds, done.Write.Bytes, done.Elapsed.TotalMilliseconds, _time.GetUtcNow()), e =>
        {
            Apply(e);
            _lastUsed = e.At;
            if (_log.IsInfoEnabled)
            {
                _log.Info("Swap {SwapId}: {Module} loaded into {Partition} in {DurationMs} ms", done.SwapId, done.Module.Name, Partition, e.TotalMs);
            }
            if (done.Driver is not null)
            {
                StartModule(done.Driver);
            }
            Answer(done.Module.Name, new RegionReplies.Loaded(Partition, done.Module.Name, Hit: false));
            ToReady();
        });
    }

    private void OnWriteFailed(WriteFailed failed)
    {
        var port = failed.Error as ConfigurationPortException;
        var unknown = port?.RegionStateUnknown ?? true;
        var failure = port?.Failure.ToString() ?? failed.Error.GetType().Name;
        var record = new SwapFailed(failed.SwapId, failed.Module.Name, failure, failed.Error.Message, unknown, _time.GetUtcNow());
        var (events, retryAfter) = _state.DecideWriteFailed(record, failed.Attempt, _options);
        Record(events, () =>
        {
            _log.Warning("Swap {SwapId}: loading {Module} into {Partition} failed ({Failure}, region {RegionState}): {Reason}", failed.SwapId, failed.Module.Name, Partition, failure, unknown ? "unknown" : "unchanged", failed.Error.Message);
            if (retryAfter is { } after)
            {
                if (!unknown && _state.Status == RegionStatus.Loaded && _catalog.Find(_state.Module!, Partition) is { } previous)
                {
                    TryRebind(previous);
                }
                Timers.StartSingleTimer("retry", new Retry(failed.Module, failed.Reason, failed.Attempt + 1), after);
                return;
            }
            Faulted(failed.Module.Name);
        });
    }

    private void OnUpset(RegionCommands.ReportUpset upset)
    {
        var detected = new UpsetDetected(upset.Frame, upset.Word, upset.Bit, upset.Corrected, _time.GetUtcNow());
        var now = _clock.Now;
        _upsetReloads.RemoveAll(t => now - t >= RegionState.UpsetWindow);
        var events = _state.DecideUpset(detected, _upsetReloads.Count, _options.MaxUpsetReloadsPerMinute);
        Record(events, () =>
        {
            _upsetReloads.Add(now);
            _log.Warning("Upset in {Partition} at frame 0x{Frame:X8} ({Corrected})", Partition, upset.Frame, upset.Corrected ? "corrected" : "uncorrectable");
            if (events.Any(e => e is RegionFaulted))
            {
                Faulted(null);
            }
            else if (_state.Status == RegionStatus.Scrubbing && _state.ReloadModule is { } name && _catalog.Find(name, Partition) is { } module)
            {
                StopModule();
                BeginSwap(module, "upset", null);
            }
        });
    }

    /// <summary>The partition is faulted on record: its module stops, every waiting load is refused, requests are served again (and refused).</summary>
    private void Faulted(string? module)
    {
        _log.Error("Partition {Partition} is faulted: {Reason}", Partition, _state.FaultReason);
        StopModule();
        foreach (var name in _waiting.Keys.ToList())
        {
            Answer(name, new RegionReplies.LoadFailed(Partition, module ?? name, _state.FaultReason!));
        }
        ToReady();
    }

    /// <summary>Persists the decided events in order, applying each; then runs <paramref name="then"/> (at once when there are none).</summary>
    private void Record(IReadOnlyList<IRegionEvent> events, Action then)
    {
        if (events.Count == 0)
        {
            then();
            return;
        }
        var last = events[^1];
        PersistAll(events, e =>
        {
            Apply(e);
            if (ReferenceEquals(e, last))
            {
                then();
            }
        });
    }

    private void Apply(IRegionEvent e)
    {
        _state = _state.Apply(e);
        Context.System.EventStream.Publish(new Observed.RegionEvent(_board, Partition, e, Snapshot()));
        if (LastSequenceNr % _options.SnapshotEvery == 0)
        {
            SaveSnapshot(_state);
            _marks.Add((LastSequenceNr, e.At));
        }
    }

    private void TryRebind(ModuleEntry module)
    {
        try
        {
            if (_hardware.Bind(module) is { } driver)
            {
                StartModule(driver);
            }
        }
        catch (Exception e) when (e is DriverException or Fabric.Mmio.MmioException)
        {
            _log.Warning("{Module} in {Partition} no longer answers after a refused write: {Reason}", module.Name, Partition, e.Message);
        }
    }

    private void StartModule(ConvDriver? driver)
    {
        StopModule();
        if (driver is not null)
        {
            _moduleActor = Context.ActorOf(ModuleActor.Props(driver, Partition), $"module-{driver.Module.Name}-{driver.Generation}");
        }
    }

    private void StopModule()
    {
        if (_moduleActor is { } actor)
        {
            Context.Stop(actor);
            _moduleActor = null;
        }
    }

    private void Wait(string module, IActorRef requester)
    {
        if (!_waiting.TryGetValue(module, out var list))
        {
            _waiting[module] = list = [];
        }
        list.Add(requester);
    }

    private void Answer(string module, IRegionReply reply)
    {
        if (_waiting.Remove(module, out var requesters))
        {
            foreach (var r in requesters)
            {
                r.Tell(reply);
            }
        }
    }

    private RegionReplies.State Snapshot() =>
        _state.ToReply(Partition) with { LastUsed = _lastUsed ?? _state.LastUsed, Incarnation = _incarnation, SequenceNr = LastSequenceNr };

    /// <summary>The journal refused or failed a write: nobody is told anything succeeded; the supervisor restarts us from the journal.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Journal write of {Event} for {Partition} failed", @event.GetType().Name, Partition);
        Context.System.EventStream.Publish(new Observed.JournalFailed(PersistenceId, cause.Message));
        FailWaiting($"the journal is unavailable: {cause.Message}");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        FailWaiting($"the journal rejected {@event.GetType().Name}: {cause.Message}");
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void FailWaiting(string reason)
    {
        foreach (var name in _waiting.Keys.ToList())
        {
            Answer(name, new RegionReplies.LoadFailed(Partition, name, reason));
        }
    }

    protected override void PostStop()
    {
        FailWaiting("the region manager stopped");
        base.PostStop();
    }

    private sealed record Resume
    {
        public static readonly Resume Instance = new();
    }

    /// <summary>The hourly check for events past the swap history (a quiet partition makes no snapshots to trigger it).</summary>
    private sealed record TrimJournal
    {
        public static readonly TrimJournal Instance = new();
    }

    private sealed record HoldReached(IActorRef Requester);

    private sealed record HoldExpired(RegionCommands.Hold Hold);

    private sealed record Rechecked(ModuleEntry Module, string Reason, ModuleProblem? Problem);

    private sealed record Drained(ModuleEntry Module, string Reason);

    private sealed record Retry(ModuleEntry Module, string Reason, int Attempt);

    private sealed record WriteDone(Guid SwapId, ModuleEntry Module, PortWriteResult Write, ConvDriver? Driver, TimeSpan Elapsed);

    private sealed record WriteFailed(Guid SwapId, ModuleEntry Module, string Reason, int Attempt, Exception Error);
}
