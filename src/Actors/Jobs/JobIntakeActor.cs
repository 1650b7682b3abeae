using Akka.Actor;
using Akka.Event;
using System.Runtime.InteropServices;
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
/// </summary>
public sealed class JobIntakeActor : ReceivePersistentActor
{
    private readonly JobIntakeOptions _options;
    private readonly TimeProvider _time;
    private ICanTell? _listener;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<Guid, JobRecord> _jobs = [];
    private readonly Dictionary<(string Tenant, string Key), Guid> _keys = [];
    private readonly Dictionary<string, int> _openPerTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Guid>> _perTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _queuedPerModule = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, IActorRef> _unconfirmed = [];
    private readonly HashSet<Guid> _finishing = [];
    /// <summary>Events waiting for the next journal write: acceptances with their submitter, transitions without.</summary>
    private List<(IJobEvent Event, IActorRef? Sender)> _pending = [];
    private int _writing;
    private long _snapshotAt;
    private int _open;

    public JobIntakeActor(string board, JobIntakeOptions options, TimeProvider time, ICanTell? listener)
    {
        PersistenceId = $"jobs-{board}";
        _options = options;
        _time = time;
        _listener = listener;
        Recover<SnapshotOffer>(offer =>
        {
            Restore((IntakeSnapshot)offer.Snapshot);
            _snapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<IJobEvent>(Apply);
        Recover<RecoveryCompleted>(_ => AnnounceOpenJobs());
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(f => _log.Warning("Snapshot of the job intake failed (recovery replays more): {Reason}", f.Cause.Message));
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
        Command<JobCommands.GetJob>(get => Sender.Tell(_jobs.TryGetValue(get.JobId, out var job) ? job.ToStatus() : new JobReplies.NotFound(get.JobId)));
        Command<Sync>(_ =>
        {
            Persist();
            var sender = Sender;
            DeferAsync(Synced.Instance, synced => sender.Tell(synced));
        });
        Command<JobCommands.ListJobs>(list => Sender.Tell(new JobReplies.JobList(List(list))));
        Command<JobCommands.GetQueueDepths>(_ => Sender.Tell(new JobReplies.QueueDepths(new Dictionary<string, int>(_queuedPerModule.Where(q => q.Value > 0)))));
    }

    public override string PersistenceId { get; }

    /// <param name="listener">Told of every accepted job: an actor, or a selection when the listener is created after the intake.</param>
    public static Props Props(string board, JobIntakeOptions options, TimeProvider time, ICanTell? listener) =>
        Akka.Actor.Props.Create(() => new JobIntakeActor(board, options, time, listener));

    /// <summary>Every open job to the listener: after a restart queued and running jobs run (again).</summary>
    private void AnnounceOpenJobs()
    {
        foreach (var job in _jobs.Values.Where(j => j.IsOpen))
        {
            _listener?.Tell(new OpenJob(job.JobId, job.Request!, _time.GetUtcNow(), job.Starts), Self);
        }
    }

    private void Submit(JobCommands.Submit submit)
    {
        var request = submit.Request;
        if (request.IdempotencyKey is { } key && _keys.TryGetValue((request.Tenant, key), out var existing))
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
                request = request.Check(_options.Limits);
            }
            catch (ConvolutionException e)
            {
                Sender.Tell(new JobReplies.Rejected(RejectionCode.Invalid, e.Field, e.Message, null));
                return;
            }
        }
        if (_open >= _options.MaxOpenJobs)
        {
            Sender.Tell(new JobReplies.Rejected(RejectionCode.QueueFull, null, $"the board has {_open} open jobs, its bound; retry later", _options.Backoff));
            return;
        }
        if (_openPerTenant.GetValueOrDefault(request.Tenant) >= _options.MaxOpenJobsPerTenant)
        {
            Sender.Tell(new JobReplies.Rejected(RejectionCode.TenantQuota, null, $"tenant '{request.Tenant}' has {_options.MaxOpenJobsPerTenant} open jobs, its quota; retry when some finish", _options.Backoff));
            return;
        }
        var accepted = new JobAccepted(Guid.NewGuid(), request, _time.GetUtcNow());
        // Counted and keyed now, so the bounds and deduplication hold for jobs still in the batch.
        Count(request.Tenant, +1);
        if (request.IdempotencyKey is { } k)
        {
            _keys[(request.Tenant, k)] = accepted.JobId;
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
        var last = batch[^1].Event;
        PersistAllAsync(batch.Select(b => b.Event), e =>
        {
            Stored(e);
            if (ReferenceEquals(e, last) && --_writing == 0)
            {
                // Every stored event is applied and no write is under way: the state matches the journal.
                // At least as many events as jobs known between snapshots: a snapshot's cost grows with
                // the jobs it holds, so spacing them likewise keeps it a constant cost per event.
                if (LastSequenceNr - _snapshotAt >= Math.Max(_options.SnapshotEvery, _jobs.Count))
                {
                    Snapshot();
                }
                // What arrived during this write goes now (Akka allows persisting from a persist handler).
                Persist();
            }
        });
    }

    private void Stored(IJobEvent e)
    {
        if (e is not JobAccepted accepted)
        {
            Apply(e);
            _finishing.Remove(e.JobId);
            return;
        }
        Track(new JobRecord(accepted.JobId, accepted.Request.Tenant, accepted.Request.Module, JobState.Queued, accepted.Request, accepted.At));
        if (_unconfirmed.Remove(accepted.JobId, out var submitter))
        {
            submitter.Tell(new JobReplies.Accepted(accepted.JobId, Duplicate: false));
        }
        _listener?.Tell(new OpenJob(accepted.JobId, accepted.Request, accepted.At, 0), Self);
    }

    /// <summary>
    /// Forgets finished jobs accepted before <see cref="JobIntakeOptions.History"/>, then snapshots
    /// the rest, so a restart replays only what came after instead of every job ever accepted.
    /// </summary>
    private void Snapshot()
    {
        var horizon = _time.GetUtcNow() - _options.History;
        var forgotten = _jobs.Values.Where(j => !j.IsOpen && j.AcceptedAt < horizon).Select(j => j.JobId).ToHashSet();
        if (forgotten.Count > 0)
        {
            foreach (var id in forgotten)
            {
                _jobs.Remove(id);
            }
            foreach (var ids in _perTenant.Values)
            {
                ids.RemoveAll(forgotten.Contains);
            }
            foreach (var key in _keys.Where(k => forgotten.Contains(k.Value)).Select(k => k.Key).ToList())
            {
                _keys.Remove(key);
            }
        }
        var keyOf = _keys.Where(k => _jobs.ContainsKey(k.Value)).ToDictionary(k => k.Value, k => k.Key.Key);
        var jobs = _perTenant.Values.SelectMany(ids => ids).Select(id => _jobs[id])
            .Select(j => new IntakeSnapshot.Job(j.JobId, j.Tenant, j.Module, IntakeSnapshot.Job.Wire(j.State), j.Request, j.AcceptedAt, j.Partition, j.Error, keyOf.GetValueOrDefault(j.JobId), j.Starts))
            .ToArray();
        SaveSnapshot(new IntakeSnapshot(jobs));
        _snapshotAt = LastSequenceNr;
    }

    private void Restore(IntakeSnapshot snapshot)
    {
        foreach (var job in snapshot.Jobs)
        {
            var record = new JobRecord(job.JobId, job.Tenant, job.Module, job.ParseState(), job.Request, job.AcceptedAt, job.Partition, job.Error, job.Starts);
            Track(record);
            if (record.IsOpen)
            {
                Count(job.Tenant, +1);
            }
            if (job.IdempotencyKey is { } key)
            {
                _keys[(job.Tenant, key)] = job.JobId;
            }
        }
    }

    /// <summary>
    /// A transition of an open job; a job already finished (or whose finish is being stored) is not
    /// recorded again, so each job has one outcome on record. Transitions are acknowledged to nobody
    /// and share the journal writes of the submissions.
    /// </summary>
    private void Record(Guid jobId, IJobEvent e)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || !job.IsOpen || _finishing.Contains(jobId))
        {
            return;
        }
        if (e is not JobStarted)
        {
            _finishing.Add(jobId);
        }
        Enqueue(e, null);
    }

    private void Apply(IJobEvent e)
    {
        switch (e)
        {
            case JobAccepted a:
                Track(new JobRecord(a.JobId, a.Request.Tenant, a.Request.Module, JobState.Queued, a.Request, a.At));
                Count(a.Request.Tenant, +1);
                if (a.Request.IdempotencyKey is { } key)
                {
                    _keys[(a.Request.Tenant, key)] = a.JobId;
                }
                break;
            case JobStarted s when _jobs.TryGetValue(s.JobId, out var job):
                if (job.State == JobState.Queued && !IsRecovering)
                {
                    Context.System.EventStream.Publish(new Observed.JobWaited(job.Module, s.At - job.AcceptedAt));
                }
                Track(job with { State = JobState.Running, Partition = s.Partition, Starts = Math.Max(job.Starts, s.Attempt) });
                break;
            case JobCompleted c when _jobs.TryGetValue(c.JobId, out var job):
                Close(job with { State = JobState.Completed, Request = null });
                break;
            case JobFailed f when _jobs.TryGetValue(f.JobId, out var job):
                Close(job with { State = JobState.Failed, Request = null, Error = f.Reason });
                break;
            case JobCancelled c when _jobs.TryGetValue(c.JobId, out var job):
                Close(job with { State = JobState.Cancelled, Request = null });
                break;
        }
    }

    private void Close(JobRecord job)
    {
        if (_jobs[job.JobId].IsOpen)
        {
            Count(job.Tenant, -1);
        }
        Track(job);
    }

    /// <summary>Stores the job's new record and keeps the per-tenant order and the queued count per module.</summary>
    private void Track(JobRecord job)
    {
        if (_jobs.TryGetValue(job.JobId, out var before))
        {
            if (before.State == JobState.Queued)
            {
                _queuedPerModule[before.Module]--;
            }
        }
        else
        {
            (CollectionsMarshal.GetValueRefOrAddDefault(_perTenant, job.Tenant, out _) ??= []).Add(job.JobId);
        }
        if (job.State == JobState.Queued)
        {
            _queuedPerModule[job.Module] = _queuedPerModule.GetValueOrDefault(job.Module) + 1;
        }
        _jobs[job.JobId] = job;
    }

    private JobReplies.JobStatus[] List(JobCommands.ListJobs list)
    {
        if (!_perTenant.TryGetValue(list.Tenant, out var ids))
        {
            return [];
        }
        var found = new List<JobReplies.JobStatus>();
        for (var i = ids.Count - 1; i >= 0 && found.Count < list.Limit; i--)
        {
            var job = _jobs[ids[i]];
            if (list.State is null || job.State == list.State)
            {
                found.Add(job.ToStatus());
            }
        }
        return [.. found];
    }

    private void Count(string tenant, int delta)
    {
        _open += delta;
        _openPerTenant[tenant] = _openPerTenant.GetValueOrDefault(tenant) + delta;
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

    /// <summary>Answered with <see cref="Synced"/> once every submission and transition received before it is stored (at shutdown).</summary>
    public sealed record Sync;

    public sealed record Synced
    {
        public static readonly Synced Instance = new();
    }
}
