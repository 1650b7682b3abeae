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
/// Bounded storage: once a snapshot is stored, the events it covers and the snapshots before it are
/// deleted (recovery starts from it), and the finished jobs it no longer holds are told to
/// <c>storage</c> (<see cref="ForgottenJobs"/>), which deletes their results and the blobs no kept job
/// names. Only then: a crash before leaves files of jobs that are gone (the sweeper's next pass takes
/// them), never a job without its input.
/// </para>
/// </summary>
public sealed class JobIntakeActor : ReceivePersistentActor
{
    private readonly JobIntakeOptions _options;
    private readonly TimeProvider _time;
    private ICanTell? _listener;
    private readonly ICanTell? _storage;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>What the journal says (stored events only).</summary>
    private IntakeState _state = IntakeState.Empty;
    /// <summary>Acceptances not yet stored, counted and keyed so the bounds and deduplication hold for them too.</summary>
    private readonly Dictionary<string, int> _unstoredPerTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tenant, string Key), Guid> _unstoredKeys = [];
    private readonly Dictionary<Guid, IActorRef> _unconfirmed = [];
    private readonly HashSet<Guid> _finishing = [];
    /// <summary>Events waiting for the next journal write: acceptances with their submitter, transitions without.</summary>
    private List<(IJobEvent Event, IActorRef? Sender)> _pending = [];
    private int _writing;
    private long _snapshotAt;
    private int _unstored;
    /// <summary>Jobs forgotten by a snapshot not yet confirmed stored, by its sequence number: told to the storage sweeper once it is.</summary>
    private readonly List<(long SequenceNr, ForgottenJobs Forgotten)> _forgetting = [];

    /// <param name="storage">Told which jobs and blobs are forgotten once a snapshot without them is stored (the storage sweeper); null keeps every file.</param>
    public JobIntakeActor(string board, JobIntakeOptions options, TimeProvider time, ICanTell? listener, ICanTell? storage = null)
    {
        PersistenceId = $"jobs-{board}";
        _options = options;
        _time = time;
        _listener = listener;
        _storage = storage;
        Recover<SnapshotOffer>(offer =>
        {
            _state = IntakeState.From((IntakeSnapshot)offer.Snapshot);
            _snapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<IJobEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => AnnounceOpenJobs());
        Command<SaveSnapshotSuccess>(Snapshotted);
        Command<SaveSnapshotFailure>(f => _log.Warning("Snapshot of the job intake failed (recovery replays more): {Reason}", f.Cause.Message));
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
        Command<JobCommands.Submit>(Submit);
        Command<JobCommands.RecordStarted>(r => Record(r.JobId, new JobStarted(r.JobId, r.Partition, r.Module, r.Attempt, _time.GetUtcNow())));
        Command<JobCommands.RecordCompleted>(r => Record(r.JobId, new JobCompleted(r.JobId, r.ResultKey, r.RanOn, _time.GetUtcNow())));
        Command<JobCommands.RecordFailed>(r => Record(r.JobId, new JobFailed(r.JobId, r.Reason, _time.GetUtcNow())));
        Command<JobCommands.RecordCancelled>(r => Record(r.JobId, new JobCancelled(r.JobId, r.By, _time.GetUtcNow())));
        Command<JobCommands.GetJob>(get => Sender.Tell(_state.Jobs.TryGetValue(get.JobId, out var job) ? job.ToStatus() : new JobReplies.NotFound(get.JobId)));
        Command<Sync>(_ =>
        {
            Persist();
            var sender = Sender;
            DeferAsync(Synced.Instance, synced => sender.Tell(synced));
        });
        Command<JobCommands.ListJobs>(list => Sender.Tell(new JobReplies.JobList(_state.List(list.Tenant, list.State, list.Limit))));
        Command<JobCommands.GetQueueDepths>(_ => Sender.Tell(new JobReplies.QueueDepths(new Dictionary<string, int>(_state.QueuedPerModule.Where(q => q.Value > 0)))));
    }

    public override string PersistenceId { get; }

    /// <param name="listener">Told of every accepted job: an actor, or a selection when the listener is created after the intake.</param>
    /// <param name="storage">Told of forgotten jobs once a snapshot without them is stored (<see cref="JobStorageSweeperActor"/>).</param>
    public static Props Props(string board, JobIntakeOptions options, TimeProvider time, ICanTell? listener, ICanTell? storage = null) =>
        Akka.Actor.Props.Create(() => new JobIntakeActor(board, options, time, listener, storage));

    /// <summary>Every open job to the listener: after a restart queued and running jobs run (again).</summary>
    private void AnnounceOpenJobs()
    {
        foreach (var job in _state.Jobs.Values.Where(j => j.IsOpen))
        {
            _listener?.Tell(new OpenJob(job.JobId, job.Request!, _time.GetUtcNow(), job.Starts), Self);
        }
    }

    private void Submit(JobCommands.Submit submit)
    {
        var request = submit.Request;
        if (request.IdempotencyKey is { } key && (_state.Keys.TryGetValue((request.Tenant, key), out var existing) || _unstoredKeys.TryGetValue((request.Tenant, key), out existing)))
        {
            Sender.Tell(new JobReplies.Accepted(existing, Duplicate: true));
            return;
        }
        if (!submit.Checked)
        {
            if (request.InputBlob is not null)
            {
                Sender.Tell(new JobReplies.Rejected(RejectionCode.Invalid, "input", "an input in the blob store must have been checked by the submitter", null));
                return;
            }
            try
            {
                request = request.Check(_options.Limits, _time.GetUtcNow());
            }
            catch (ConvolutionException e)
            {
                Sender.Tell(new JobReplies.Rejected(RejectionCode.Invalid, e.Field, e.Message, null));
                return;
            }
        }
        var open = _state.Open + _unstored;
        if (open >= _options.MaxOpenJobs)
        {
            Sender.Tell(new JobReplies.Rejected(RejectionCode.QueueFull, null, $"the board has {open} open jobs, its bound; retry later", _options.Backoff));
            return;
        }
        if (_state.OpenPerTenant.GetValueOrDefault(request.Tenant) + _unstoredPerTenant.GetValueOrDefault(request.Tenant) >= _options.MaxOpenJobsPerTenant)
        {
            Sender.Tell(new JobReplies.Rejected(RejectionCode.TenantQuota, null, $"tenant '{request.Tenant}' has {_options.MaxOpenJobsPerTenant} open jobs, its quota; retry when some finish", _options.Backoff));
            return;
        }
        var accepted = new JobAccepted(Guid.NewGuid(), request, _time.GetUtcNow());
        // Counted and keyed now, so the bounds and deduplication hold for jobs still in the batch.
        _unstored++;
        _unstoredPerTenant[request.Tenant] = _unstoredPerTenant.GetValueOrDefault(request.Tenant) + 1;
        if (request.IdempotencyKey is { } k)
        {
            _unstoredKeys[(request.Tenant, k)] = accepted.JobId;
        }
        Enqueue(accepted, Sender);
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
            foreach (var stored in events)
            {
                Stored(stored, before);
            }
            if (--_writing == 0)
            {
                // Every stored event is applied and no write is under way: the state matches the journal.
                // At least as many events as jobs known between snapshots: a snapshot's cost grows with
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
                Context.System.EventStream.Publish(new Observed.JobWaited(job.Module, started.At - job.AcceptedAt, job.Tenant));
            }
            return;
        }
        var tenant = accepted.Request.Tenant;
        _unstored--;
        _unstoredPerTenant[tenant]--;
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

    /// <summary>
    /// Forgets jobs finished before <see cref="JobIntakeOptions.History"/>, then snapshots
    /// the rest, so a restart replays only what came after instead of every job ever accepted.
    /// </summary>
    private void Snapshot()
    {
        var (kept, forgotten) = _state.ForgetBefore(_time.GetUtcNow() - _options.History);
        _state = kept;
        if (!forgotten.IsEmpty)
        {
            _forgetting.Add((LastSequenceNr, forgotten));
        }
        SaveSnapshot(_state.ToSnapshot());
        _snapshotAt = LastSequenceNr;
    }

    /// <summary>
    /// A snapshot is stored: recovery starts from it, so the events it covers and the older snapshots
    /// go (a failure is logged; the next snapshot deletes up to itself, which covers these too), and the
    /// jobs forgotten up to it are told to the storage sweeper.
    /// </summary>
    private void Snapshotted(SaveSnapshotSuccess success)
    {
        var sequenceNr = success.Metadata.SequenceNr;
        DeleteMessages(sequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(sequenceNr - 1));
        var done = _forgetting.Where(f => f.SequenceNr <= sequenceNr).Aggregate(ForgottenJobs.None, (all, f) => all.With(f.Forgotten));
        _forgetting.RemoveAll(f => f.SequenceNr <= sequenceNr);
        if (!done.IsEmpty)
        {
            // A job accepted since may name the same content again: its blob stays.
            _storage?.Tell(done with { Blobs = [.. done.Blobs.Where(b => !_state.Blobs.ContainsKey(b)).Distinct(StringComparer.Ordinal)] }, Self);
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

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        RefuseUnconfirmed(cause);
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void RefuseUnconfirmed(Exception cause)
    {
        var waiting = _pending.Select(p => p.Sender).OfType<IActorRef>().ToList();
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

    /// <summary>Answered with <see cref="Kept"/>: what the storage sweeper must not delete.</summary>
    public sealed record GetKept
    {
        public static readonly GetKept Instance = new();
    }

    /// <summary>
    /// Every job the intake knows (stored; open ones and finished ones within the history) and the blobs
    /// they name. Immutable, so handed out as they are.
    /// </summary>
    public sealed record Kept(ImmutableDictionary<Guid, JobRecord> Jobs, ImmutableDictionary<string, int> Blobs);

    /// <summary>Answered with <see cref="Synced"/> once every submission and transition received before it is stored (at shutdown).</summary>
    public sealed record Sync;

    public sealed record Synced
    {
        public static readonly Synced Instance = new();
    }
}
