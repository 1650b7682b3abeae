using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Dpr.Fabric.Convolution;
using static Dpr.Actors.Jobs.JobEvents;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Durable acceptance of jobs (<c>jobs-{board}</c>): a submission is checked, deduplicated by its
/// idempotency key, held to the tenant's and the board's bounds, and acknowledged only once its
/// <see cref="JobAccepted"/> is stored. Group commit: a submission is written at once when the journal
/// is idle, and those that arrive while a write is under way share the next one (<c>PersistAllAsync</c>),
/// so durability costs neither latency when idle nor throughput under load.
/// Accepted jobs are announced to <c>listener</c> (the scheduler), also after a restart for every
/// job still open, so nothing accepted is lost.
/// <para>
/// Nothing per finished job stays in memory: once a job's outcome is stored, its record goes to the
/// <see cref="IJobIndex"/>, and once the index has committed it the intake lets go of the job
/// (<see cref="IntakeState.Indexed"/>); the index answers for it from then on. A restart stores the
/// finished jobs it recovers (from the events after the snapshot, or a snapshot of the previous
/// version, which held every finished job) again — a stored record changes nothing — before it lets
/// go of them. A submission with an idempotency key the intake does not hold is decided only once the
/// index has been asked for the key; until then the key is reserved, so a second submission with it
/// waits for the answer rather than racing it (<see cref="LookUpKeys"/>).
/// </para>
/// <para>
/// Bounded storage: once a snapshot is stored, the events it covers and the snapshots before it are
/// deleted (recovery starts from it). The storage sweeper deletes index rows, results and blobs past
/// the retention (<see cref="JobStorageSweeperActor"/>), asking first what the intake holds (<see cref="GetKept"/>).
/// </para>
/// </summary>
public sealed class JobIntakeActor : ReceivePersistentActor, IWithTimers
{
    private readonly JobIntakeOptions _options;
    private readonly TimeProvider _time;
    private ICanTell? _listener;
    private readonly IJobIndex? _index;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>What the journal says (stored events only), less the finished jobs the index has.</summary>
    private IntakeState _state = IntakeState.Empty;
    /// <summary>Acceptances not yet stored, counted and keyed so the bounds and deduplication hold for them too.</summary>
    private readonly Dictionary<string, TenantLoad> _unstoredPerTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tenant, string Key), Guid> _unstoredKeys = [];
    private readonly Dictionary<Guid, IActorRef> _unconfirmed = [];
    private readonly HashSet<Guid> _finishing = [];
    /// <summary>Events waiting for the next journal write: acceptances with their submitter, transitions without.</summary>
    private List<(IJobEvent Event, IActorRef? Sender)> _pending = [];
    private int _writing;
    private long _snapshotAt;
    private int _unstored;
    /// <summary>Finished jobs whose records are being written to the index.</summary>
    private readonly HashSet<Guid> _indexing = [];
    /// <summary>Many recovered finished jobs are being written to the index: once they are, a snapshot without them spares the next restart.</summary>
    private bool _snapshotOnceIndexed;
    /// <summary>Submissions waiting for the index's answer about their key, by key (the key is reserved meanwhile).</summary>
    private readonly Dictionary<(string Tenant, string Key), List<(JobCommands.Submit Submit, IActorRef Sender)>> _keyWaiters = [];
    /// <summary>Keys to ask the index about in the next look-up (one look-up at a time, for every key waiting).</summary>
    private List<(string Tenant, string Key)> _keysToLookUp = [];
    private bool _lookingUp;
    /// <summary>Who asked for a <see cref="Checkpoint"/> whose snapshot is being stored.</summary>
    private readonly List<IActorRef> _checkpoints = [];
    private readonly string _board;

    /// <param name="index">Where finished jobs go (and idempotency keys are looked up); null keeps every finished job in memory (tests and benchmarks of the intake alone).</param>
    public JobIntakeActor(string board, JobIntakeOptions options, TimeProvider time, ICanTell? listener, IJobIndex? index = null)
    {
        PersistenceId = $"jobs-{board}";
        _board = board;
        _options = options;
        _time = time;
        _listener = listener;
        _index = index;
        Recover<SnapshotOffer>(offer =>
        {
            _state = IntakeState.From((IntakeSnapshot)offer.Snapshot);
            _snapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<IJobEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            AnnounceOpenJobs();
            // Worth a snapshot of its own when there are as many as a snapshot interval (a snapshot of the
            // previous version, which held every finished job): the next restart does not read them again.
            _snapshotOnceIndexed = _index is not null && _state.Finished.Count() >= _options.SnapshotEvery;
            IndexFinished(_state.Finished);
        });
        Command<SaveSnapshotSuccess>(Snapshotted);
        Command<SaveSnapshotFailure>(f =>
        {
            _log.Warning("Snapshot of the job intake failed (recovery replays more): {Reason}", f.Cause.Message);
            AnswerCheckpoints();
        });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("Deleting job events up to {SequenceNr} failed (the next snapshot tries again): {Reason}", f.ToSequenceNr, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("Deleting job intake snapshots before {SequenceNr} failed (the next snapshot tries again): {Reason}", f.Criteria.MaxSequenceNr + 1, f.Cause.Message));
        Command<GetKept>(_ => Sender.Tell(new Kept(_state.Jobs, _state.Blobs)));
        Command<Subscribe>(subscribe =>
        {
            _listener = subscribe.Listener;
            AnnounceOpenJobs();
        });
        Command<JobCommands.Submit>(submit => Submit(submit, Sender, keyLookedUp: false));
        Command<KeysLookedUp>(KeysAnswered);
        Command<JobCommands.RecordStarted>(r => Record(r.JobId, new JobStarted(r.JobId, r.Partition, r.Module, r.Attempt, _time.GetUtcNow())));
        Command<JobCommands.RecordCompleted>(r => Record(r.JobId, new JobCompleted(r.JobId, r.ResultKey, r.RanOn, _time.GetUtcNow())));
        Command<JobCommands.RecordFailed>(r => Record(r.JobId, new JobFailed(r.JobId, r.Reason, _time.GetUtcNow())));
        Command<JobCommands.RecordCancelled>(r => Record(r.JobId, new JobCancelled(r.JobId, r.By, _time.GetUtcNow())));
        Command<IndexWritten>(Indexed);
        Command<RetryIndex>(_ => IndexFinished(_state.Finished));
        Command<JobCommands.FindKey>(FindKey);
        Command<JobCommands.GetJob>(get => Sender.Tell(_state.Jobs.TryGetValue(get.JobId, out var job) ? job.ToStatus() : new JobReplies.NotFound(get.JobId)));
        Command<Sync>(_ =>
        {
            Persist();
            var sender = Sender;
            DeferAsync(Synced.Instance, synced => sender.Tell(synced));
        });
        Command<Checkpoint>(_ =>
        {
            Persist();
            var sender = Sender;
            DeferAsync(Synced.Instance, synced =>
            {
                // Nothing stored since the last snapshot, or a write under way (the state is ahead of the journal): no snapshot.
                if (LastSequenceNr == _snapshotAt || _writing > 0)
                {
                    sender.Tell(synced);
                    return;
                }
                _checkpoints.Add(sender);
                Snapshot();
            });
        });
        Command<JobCommands.ListJobs>(list => Sender.Tell(new JobReplies.JobList(_state.List(list.Tenant, list.State, list.Limit))));
        Command<JobCommands.GetQueueDepths>(_ =>
        {
            var queued = _state.QueuedPerModule.Where(q => q.Value.Jobs > 0).ToList();
            var open = _state.OpenPerTenant.Where(t => t.Value.Jobs > 0).ToList();
            Sender.Tell(new JobReplies.QueueDepths(
                queued.ToDictionary(q => q.Key, q => q.Value.Jobs, StringComparer.Ordinal),
                queued.ToDictionary(q => q.Key, q => q.Value.Work, StringComparer.Ordinal),
                open.ToDictionary(t => t.Key, t => t.Value.Jobs, StringComparer.Ordinal),
                open.ToDictionary(t => t.Key, t => t.Value.Work, StringComparer.Ordinal)));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId { get; }

    /// <param name="listener">Told of every accepted job: an actor, or a selection when the listener is created after the intake.</param>
    /// <param name="index">Where finished jobs go; null keeps them in memory (tests and benchmarks of the intake alone).</param>
    public static Props Props(string board, JobIntakeOptions options, TimeProvider time, ICanTell? listener, IJobIndex? index = null) =>
        Akka.Actor.Props.Create(() => new JobIntakeActor(board, options, time, listener, index));

    /// <summary>Every open job to the listener: after a restart queued and running jobs run (again).</summary>
    private void AnnounceOpenJobs()
    {
        foreach (var job in _state.Jobs.Values.Where(j => j.IsOpen))
        {
            _listener?.Tell(new OpenJob(job.JobId, job.Request!, _time.GetUtcNow(), job.Starts), Self);
        }
    }

    /// <param name="keyLookedUp">The index was asked about the key after it was reserved, and does not have it.</param>
    private void Submit(JobCommands.Submit submit, IActorRef sender, bool keyLookedUp)
    {
        var request = submit.Request;
        if (request.IdempotencyKey is { } key)
        {
            var tenantKey = (request.Tenant, key);
            if (_state.Keys.TryGetValue(tenantKey, out var existing) || _unstoredKeys.TryGetValue(tenantKey, out existing))
            {
                sender.Tell(new JobReplies.Accepted(existing, Duplicate: true));
                return;
            }
            if (_index is not null && !keyLookedUp)
            {
                LookUpKey(tenantKey, submit, sender);
                return;
            }
        }
        if (!submit.Checked)
        {
            if (request.InputBlob is not null)
            {
                sender.Tell(new JobReplies.Rejected(RejectionCode.Invalid, "input", "an input in the blob store must have been checked by the submitter", null));
                return;
            }
            try
            {
                request = request.Check(_options.Limits, _time.GetUtcNow());
            }
            catch (ConvolutionException e)
            {
                sender.Tell(new JobReplies.Rejected(RejectionCode.Invalid, e.Field, e.Message, null));
                return;
            }
        }
        var open = _state.Open + _unstored;
        if (open >= _options.MaxOpenJobs)
        {
            sender.Tell(new JobReplies.Rejected(RejectionCode.QueueFull, null, $"the board has {open} open jobs, its bound; retry later", _options.Backoff));
            return;
        }
        var load = _state.OpenPerTenant.GetValueOrDefault(request.Tenant) + _unstoredPerTenant.GetValueOrDefault(request.Tenant);
        var job = TenantLoad.Of(request);
        if (_options.QuotaRefusal(request.Tenant, load, job, "the board") is { } refused)
        {
            sender.Tell(refused);
            return;
        }
        var accepted = new JobAccepted(Guid.NewGuid(), request, _time.GetUtcNow());
        // Counted and keyed now, so the bounds and deduplication hold for jobs still in the batch.
        _unstored++;
        _unstoredPerTenant[request.Tenant] = _unstoredPerTenant.GetValueOrDefault(request.Tenant) + job;
        if (request.IdempotencyKey is { } k)
        {
            _unstoredKeys[(request.Tenant, k)] = accepted.JobId;
        }
        Enqueue(accepted, sender);
    }

    /// <summary>Answers <see cref="JobCommands.FindKey"/> as <see cref="Submit"/> would decide it: the intake's keys first, then the index, off the actor's thread.</summary>
    private void FindKey(JobCommands.FindKey find)
    {
        var key = (find.Tenant, find.Key);
        // A key being looked up for a submission counts as held: a retry sent here is decided after it.
        if (_state.Keys.ContainsKey(key) || _unstoredKeys.ContainsKey(key) || _keyWaiters.ContainsKey(key))
        {
            Sender.Tell(new JobReplies.KeyHeld(true));
            return;
        }
        if (_index is not { } index)
        {
            Sender.Tell(new JobReplies.KeyHeld(false));
            return;
        }
        Task.Run(() => new JobReplies.KeyHeld(index.FindKeys([key]).ContainsKey(key))).PipeTo(Sender);
    }

    /// <summary>
    /// Reserves a key the intake does not hold and has the index asked about it: the job it names may have
    /// finished and been let go. Reserved from now, so no job with the key is accepted meanwhile; and a
    /// job let go before now has its record committed, so the look-up, which starts after, finds it.
    /// </summary>
    private void LookUpKey((string Tenant, string Key) key, JobCommands.Submit submit, IActorRef sender)
    {
        if (_keyWaiters.TryGetValue(key, out var waiting))
        {
            waiting.Add((submit, sender));
            return;
        }
        _keyWaiters[key] = [(submit, sender)];
        _keysToLookUp.Add(key);
        LookUpKeys();
    }

    /// <summary>One look-up at a time, off the actor's thread, for every key waiting (they share a connection, as writes share a commit).</summary>
    private void LookUpKeys()
    {
        if (_lookingUp || _keysToLookUp.Count == 0)
        {
            return;
        }
        var keys = _keysToLookUp;
        _keysToLookUp = [];
        _lookingUp = true;
        var index = _index!;
        Task.Run(() => index.FindKeys(keys)).PipeTo(
            Self,
            success: found => new KeysLookedUp(keys, found, null),
            failure: e => new KeysLookedUp(keys, null, e.GetBaseException().Message));
    }

    /// <summary>
    /// The index answered: a key it has is a duplicate of that job; the others are decided now, in the
    /// order they came (the first is accepted, the next ones find its key).
    /// </summary>
    private void KeysAnswered(KeysLookedUp answer)
    {
        _lookingUp = false;
        foreach (var key in answer.Keys)
        {
            if (!_keyWaiters.Remove(key, out var waiting))
            {
                continue;
            }
            foreach (var (submit, sender) in waiting)
            {
                if (answer.Error is { } error)
                {
                    sender.Tell(new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"the job index could not be asked for the idempotency key ({error}); the job was not accepted — resubmit", _options.Backoff));
                }
                else if (answer.Found!.TryGetValue(key, out var existing))
                {
                    sender.Tell(new JobReplies.Accepted(existing, Duplicate: true));
                }
                else
                {
                    Submit(submit, sender, keyLookedUp: true);
                }
            }
        }
        LookUpKeys();
    }

    /// <summary>
    /// Group commit: an event is written at once when the journal is idle; while a write is under
    /// way, the events that arrive meanwhile wait for it and then share the next one.
    /// </summary>
    private void Enqueue(IJobEvent e, IActorRef? sender)
    {
        _pending.Add((e, sender));
        if (_writing == 0 || _pending.Count >= _options.BatchSize)
        {
            Persist();
        }
    }

    private void Persist()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var batch = _pending;
        _pending = [];
        foreach (var (e, sender) in batch)
        {
            if (sender is not null)
            {
                _unconfirmed[e.JobId] = sender;
            }
        }
        _writing++;
        var events = batch.Select(b => b.Event).ToList();
        var last = events[^1];
        PersistAllAsync(events, e =>
        {
            if (!ReferenceEquals(e, last))
            {
                return;
            }
            // The whole batch is stored (one journal write): applied in one pass, then each event's effects.
            var before = _state;
            _state = _state.ApplyAll(events);
            for (var i = 0; i < events.Count; i++)
            {
                Stored(events[i], before);
                // The batch's events hold the sequence numbers up to the last one's, in order.
                Announce(events[i], before, LastSequenceNr - events.Count + 1 + i);
            }
            IndexFinished(events.Where(outcome => outcome is not (JobAccepted or JobStarted)).Select(outcome => _state.Jobs.GetValueOrDefault(outcome.JobId)).OfType<JobRecord>().Where(j => !j.IsOpen));
            if (--_writing == 0)
            {
                // Every stored event is applied and no write is under way: the state matches the journal.
                // At least as many events as jobs held between snapshots: a snapshot's cost grows with
                // the jobs it holds, so spacing them likewise keeps it a constant cost per event.
                if (LastSequenceNr - _snapshotAt >= Math.Max(_options.SnapshotEvery, _state.Jobs.Count))
                {
                    Snapshot();
                }
                // What arrived during this write goes now (Akka allows persisting from a persist handler).
                Persist();
            }
        });
    }

    /// <summary>What a stored event means beyond the state: answers, announcements, metrics. <paramref name="before"/>: the state before its batch.</summary>
    private void Stored(IJobEvent e, IntakeState before)
    {
        if (e is not JobAccepted accepted)
        {
            _finishing.Remove(e.JobId);
            if (e is JobStarted started && before.Jobs.GetValueOrDefault(e.JobId) is { State: JobState.Queued } job)
            {
                Context.System.EventStream.Publish(new Observed.JobWaited(_board, job.Module, started.At - job.AcceptedAt, job.Tenant));
            }
            else if (e is JobCompleted or JobFailed or JobCancelled
                && before.Jobs.GetValueOrDefault(e.JobId) is { IsOpen: true } open && _state.Jobs.GetValueOrDefault(e.JobId) is { IsOpen: false } finished)
            {
                Context.System.EventStream.Publish(new Observed.JobFinished(_board, open.Module, finished.State));
            }
            return;
        }
        var tenant = accepted.Request.Tenant;
        _unstored--;
        _unstoredPerTenant[tenant] -= TenantLoad.Of(accepted.Request);
        if (accepted.Request.IdempotencyKey is { } key)
        {
            _unstoredKeys.Remove((tenant, key));
        }
        if (_unconfirmed.Remove(accepted.JobId, out var submitter))
        {
            submitter.Tell(new JobReplies.Accepted(accepted.JobId, Duplicate: false));
        }
        _listener?.Tell(new OpenJob(accepted.JobId, accepted.Request, accepted.At, 0), Self);
    }

    /// <summary>Every stored event of a job, with its tenant and module, for live views (<see cref="Observed.JobEvent"/>).</summary>
    private void Announce(IJobEvent e, IntakeState before, long sequenceNr)
    {
        var (tenant, module) = e is JobAccepted accepted
            ? (accepted.Request.Tenant, accepted.Request.Module)
            : (_state.Jobs.GetValueOrDefault(e.JobId) ?? before.Jobs.GetValueOrDefault(e.JobId)) is { } job ? (job.Tenant, job.Module) : (null, null);
        if (tenant is not null && module is not null)
        {
            Context.System.EventStream.Publish(new Observed.JobEvent(_board, e, tenant, module, sequenceNr));
        }
    }

    /// <summary>Snapshots the state, so a restart replays only what came after instead of every job ever accepted.</summary>
    private void Snapshot()
    {
        SaveSnapshot(_state.ToSnapshot());
        _snapshotAt = LastSequenceNr;
    }

    /// <summary>
    /// A snapshot is stored: recovery starts from it, so the events it covers and the older snapshots
    /// go (a failure is logged; the next snapshot deletes up to itself, which covers these too).
    /// </summary>
    private void Snapshotted(SaveSnapshotSuccess success)
    {
        var sequenceNr = success.Metadata.SequenceNr;
        DeleteMessages(sequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(sequenceNr - 1));
        AnswerCheckpoints();
    }

    /// <summary>A snapshot is stored or failed: whoever asked for a <see cref="Checkpoint"/> is answered.</summary>
    private void AnswerCheckpoints()
    {
        _checkpoints.ForEach(c => c.Tell(Synced.Instance));
        _checkpoints.Clear();
    }

    /// <summary>Writes the records of finished jobs not already on their way to the index; the answer comes back as <see cref="IndexWritten"/>.</summary>
    private void IndexFinished(IEnumerable<JobRecord> finished)
    {
        if (_index is null)
        {
            return;
        }
        var batch = finished.Where(j => _indexing.Add(j.JobId)).ToList();
        if (batch.Count == 0)
        {
            return;
        }
        var ids = batch.Select(j => j.JobId).ToList();
        Task stored;
        try
        {
            stored = _index.StoreAsync(batch);
        }
        catch (ObjectDisposedException e)
        {
            // The index closed under a stopping service: as a failed write, the jobs stay held.
            stored = Task.FromException(e);
        }
        stored.PipeTo(
            Self,
            success: () => new IndexWritten(ids, null),
            failure: e => new IndexWritten(ids, e.GetBaseException().Message));
    }

    /// <summary>
    /// The index has the records (the jobs are let go: it answers for them now), or could not take them:
    /// they stay held and are written again after a pause.
    /// </summary>
    private void Indexed(IndexWritten written)
    {
        _indexing.ExceptWith(written.JobIds);
        if (written.Error is { } error)
        {
            _log.Warning("Writing {Count} finished jobs to the job index failed (they stay in memory and are written again in {RetryS} s): {Reason}", written.JobIds.Count, _options.Backoff.TotalSeconds, error);
            Timers.StartSingleTimer(nameof(RetryIndex), RetryIndex.Instance, _options.Backoff);
            return;
        }
        _state = _state.Indexed(written.JobIds);
        if (_snapshotOnceIndexed && _indexing.Count == 0 && _writing == 0)
        {
            _snapshotOnceIndexed = false;
            Snapshot();
        }
    }

    /// <summary>
    /// A transition of an open job; a job already finished (or whose finish is being stored) is not
    /// recorded again, so each job has one outcome on record. Transitions are acknowledged to nobody
    /// and share the journal writes of the submissions.
    /// </summary>
    private void Record(Guid jobId, IJobEvent e)
    {
        if (!_state.Jobs.TryGetValue(jobId, out var job) || !job.IsOpen || _finishing.Contains(jobId))
        {
            return;
        }
        if (e is not JobStarted)
        {
            _finishing.Add(jobId);
        }
        Enqueue(e, null);
    }

    /// <summary>The journal failed: every submission not yet confirmed is refused, so no client believes a job exists that may not.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        RefuseUnconfirmed(cause);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>
    /// The journal refused a write: handled as a failure. Akka keeps a persistent actor running after a
    /// refusal, but the refused batch's handler never runs, so the write it counted would stay under way
    /// and every later submission would wait for it; stopping lets the back-off supervisor bring the intake
    /// back from its journal, as after a failure (found by Dpr.TestKit's journal refusal test).
    /// </summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        RefuseUnconfirmed(cause);
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self);
    }

    private void RefuseUnconfirmed(Exception cause)
    {
        // The actor stops after this: submissions waiting for a key look-up would never be answered either.
        var waiting = _pending.Select(p => p.Sender).OfType<IActorRef>().Concat(_keyWaiters.Values.SelectMany(w => w.Select(s => s.Sender))).ToList();
        _keyWaiters.Clear();
        _log.Error(cause, "Job journal write failed; refusing {Count} unconfirmed submissions", _unconfirmed.Count + waiting.Count);
        Context.System.EventStream.Publish(new Observed.JournalFailed(PersistenceId, cause.Message));
        foreach (var sender in _unconfirmed.Values.Concat(waiting))
        {
            sender.Tell(new JobReplies.Rejected(RejectionCode.JournalUnavailable, null, $"the job journal is unavailable ({cause.Message}); the job was not accepted — resubmit, with an idempotency key to be safe", _options.Backoff));
        }
        _unconfirmed.Clear();
        _pending.Clear();
    }

    /// <summary>Makes <see cref="Listener"/> the one told of accepted jobs (the dispatcher, which needs the intake's address first); every open job is announced to it.</summary>
    public sealed record Subscribe(IActorRef Listener);

    /// <summary>
    /// To the listener: a job that is open, just accepted or still open after a restart (then
    /// <paramref name="At"/> is the restart), <paramref name="Starts"/> times started so far.
    /// </summary>
    public sealed record OpenJob(Guid JobId, JobRequest Request, DateTimeOffset At, int Starts);

    /// <summary>Answered with <see cref="Kept"/>: what the storage sweeper must not delete besides what the index names.</summary>
    public sealed record GetKept
    {
        public static readonly GetKept Instance = new();
    }

    /// <summary>
    /// Every job the intake holds (stored: the open ones, and finished ones not yet in the index) and the
    /// blobs they name: bounded by the open jobs, not by the history. Immutable, so handed out as they are.
    /// </summary>
    public sealed record Kept(ImmutableDictionary<Guid, JobRecord> Jobs, ImmutableDictionary<string, int> Blobs);

    /// <summary>The index's answer about reserved keys: the jobs it has for some (<paramref name="Found"/>), or why it could not say.</summary>
    private sealed record KeysLookedUp(IReadOnlyList<(string Tenant, string Key)> Keys, IReadOnlyDictionary<(string Tenant, string Key), Guid>? Found, string? Error);

    /// <summary>The index committed the records of <paramref name="JobIds"/>, or failed with <paramref name="Error"/>.</summary>
    private sealed record IndexWritten(IReadOnlyList<Guid> JobIds, string? Error);

    private sealed record RetryIndex
    {
        public static readonly RetryIndex Instance = new();
    }

    /// <summary>Answered with <see cref="Synced"/> once every submission and transition received before it is stored (at shutdown).</summary>
    public sealed record Sync;

    /// <summary>
    /// <see cref="Sync"/>, and then a snapshot if anything was stored since the last one, answered with
    /// <see cref="Synced"/> once it is stored (or failed): at a graceful stop, so the next start replays
    /// nothing and holds no more than the open jobs from its first moment.
    /// </summary>
    public sealed record Checkpoint;

    public sealed record Synced
    {
        public static readonly Synced Instance = new();
    }
}
