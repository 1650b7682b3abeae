using System.Collections.Immutable;
using static Dpr.Actors.Jobs.JobEvents;

namespace Dpr.Actors.Jobs;

/// <summary>
/// What the job intake holds: the open jobs as its journal describes them, and the finished ones whose
/// record is not yet confirmed stored in the <see cref="IJobIndex"/> (<see cref="Indexed"/> lets them go);
/// each tenant's in acceptance order, their idempotency keys, and the counts and work its bounds use. Nothing per
/// finished job stays: the index answers for those. Immutable; <see cref="Apply"/> is a pure function of
/// the events, so recovery (a snapshot plus the events after it) rebuilds exactly this, and it is tested
/// without actors.
/// </summary>
/// <param name="PerTenant">Each tenant's jobs ordered by acceptance time (then id), the order the index lists them in.</param>
/// <param name="Blobs">
/// How many held jobs name each blob. Blobs are content-addressed, so two jobs with the same input
/// share one: a blob may go only when no held job and no index row names it.
/// </param>
public sealed record IntakeState(
    ImmutableDictionary<Guid, JobRecord> Jobs,
    ImmutableDictionary<(string Tenant, string Key), Guid> Keys,
    ImmutableDictionary<string, ImmutableSortedSet<(DateTimeOffset AcceptedAt, Guid JobId)>> PerTenant,
    ImmutableDictionary<string, TenantLoad> OpenPerTenant,
    ImmutableDictionary<string, TenantLoad> QueuedPerModule,
    int Open,
    ImmutableDictionary<string, int> Blobs)
{
    public static IntakeState Empty { get; } = new(
        ImmutableDictionary<Guid, JobRecord>.Empty,
        ImmutableDictionary<(string Tenant, string Key), Guid>.Empty,
        ImmutableDictionary.Create<string, ImmutableSortedSet<(DateTimeOffset AcceptedAt, Guid JobId)>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, TenantLoad>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, TenantLoad>(StringComparer.Ordinal),
        0,
        ImmutableDictionary.Create<string, int>(StringComparer.Ordinal));

    /// <summary>The finished jobs still held: their records are on their way to the index.</summary>
    public IEnumerable<JobRecord> Finished => Jobs.Values.Where(j => !j.IsOpen);

    public IntakeState Apply(IJobEvent e) => ApplyAll([e]);

    /// <summary>The events in order, in one pass (the intake stores them in batches: one new state per batch, not per event).</summary>
    public IntakeState ApplyAll(IEnumerable<IJobEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var edit = new Edit(this);
        foreach (var e in events)
        {
            edit.Apply(e);
        }
        return edit.ToState();
    }

    /// <summary>
    /// Lets go of the finished jobs among <paramref name="jobIds"/>: their records are stored in the index,
    /// which answers for them from now on (look-up, list, idempotency key). An open job is never let go.
    /// </summary>
    public IntakeState Indexed(IEnumerable<Guid> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var edit = new Edit(this);
        foreach (var id in jobIds)
        {
            if (Jobs.TryGetValue(id, out var job) && !job.IsOpen)
            {
                edit.Untrack(job);
            }
        }
        return edit.ToState();
    }

    public IntakeSnapshot ToSnapshot() =>
        new([.. PerTenant.Values.SelectMany(jobs => jobs).Select(j => Jobs[j.JobId]).Select(j => new IntakeSnapshot.Job(
            j.JobId, j.Tenant, j.Module, IntakeSnapshot.Job.Wire(j.State), j.Request, j.AcceptedAt, j.Partition, j.Error, j.IdempotencyKey, j.Starts, j.StartedAt, j.FinishedAt, j.InputBlob))]);

    /// <summary>
    /// The state a snapshot holds. One written before the index existed holds every finished job within
    /// the retention as well: they are held again until the index has them.
    /// </summary>
    public static IntakeState From(IntakeSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var edit = new Edit(Empty);
        foreach (var j in snapshot.Jobs)
        {
            var state = j.ParseState();
            // Snapshots from before InputBlob was kept name the blob only through an open job's request;
            // those from before FinishedAt was kept have none for a finished job: its retention counts
            // from its acceptance, as it did then.
            var finishedAt = j.FinishedAt ?? (state is JobState.Queued or JobState.Running ? null : j.AcceptedAt);
            edit.Track(new JobRecord(j.JobId, j.Tenant, j.Module, state, j.Request, j.AcceptedAt, j.Partition, j.Error, j.Starts, j.StartedAt, finishedAt, j.InputBlob ?? j.Request?.InputBlob, j.IdempotencyKey));
        }
        return edit.ToState();
    }

    /// <summary>A tenant's held jobs, newest first, optionally only those in <paramref name="state"/>.</summary>
    public JobReplies.JobStatus[] List(string tenant, JobState? state, int limit)
    {
        if (!PerTenant.TryGetValue(tenant, out var ids))
        {
            return [];
        }
        return [.. ids.Reverse().Select(j => Jobs[j.JobId]).Where(j => state is null || j.State == state).Take(limit).Select(j => j.ToStatus())];
    }

    /// <summary>A state being changed: builders for one pass over events, frozen again by <see cref="ToState"/>.</summary>
    private sealed class Edit(IntakeState from)
    {
        private readonly ImmutableDictionary<Guid, JobRecord>.Builder _jobs = from.Jobs.ToBuilder();
        private readonly ImmutableDictionary<(string Tenant, string Key), Guid>.Builder _keys = from.Keys.ToBuilder();
        private readonly ImmutableDictionary<string, ImmutableSortedSet<(DateTimeOffset AcceptedAt, Guid JobId)>>.Builder _perTenant = from.PerTenant.ToBuilder();
        private readonly ImmutableDictionary<string, TenantLoad>.Builder _openPerTenant = from.OpenPerTenant.ToBuilder();
        private readonly ImmutableDictionary<string, TenantLoad>.Builder _queued = from.QueuedPerModule.ToBuilder();
        private readonly ImmutableDictionary<string, int>.Builder _blobs = from.Blobs.ToBuilder();
        private int _open = from.Open;
        private bool _changed;

        public void Apply(IJobEvent e)
        {
            switch (e)
            {
                case JobAccepted a when !_jobs.ContainsKey(a.JobId):
                    Track(new JobRecord(a.JobId, a.Request.Tenant, a.Request.Module, JobState.Queued, a.Request, a.At, InputBlob: a.Request.InputBlob, IdempotencyKey: a.Request.IdempotencyKey));
                    break;
                case JobStarted s when _jobs.TryGetValue(s.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Running, Partition = s.Partition, Starts = Math.Max(job.Starts, s.Attempt), StartedAt = job.StartedAt ?? s.At });
                    break;
                case JobCompleted c when _jobs.TryGetValue(c.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Completed, Request = null, FinishedAt = c.At });
                    break;
                case JobFailed f when _jobs.TryGetValue(f.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Failed, Request = null, Error = f.Reason, FinishedAt = f.At });
                    break;
                case JobCancelled c when _jobs.TryGetValue(c.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Cancelled, Request = null, FinishedAt = c.At });
                    break;
                // A second acceptance of an id, or a transition of a job already finished or let go, changes
                // nothing: one acceptance and one outcome per job.
            }
        }

        /// <summary>Stores the job's new record and keeps the per-tenant order, the open counts and work, the queued count and work per module, the keys and the blob references.</summary>
        public void Track(JobRecord job)
        {
            _changed = true;
            var wasOpen = false;
            if (_jobs.TryGetValue(job.JobId, out var before))
            {
                wasOpen = before.IsOpen;
                if (before.State == JobState.Queued)
                {
                    _queued[before.Module] -= TenantLoad.Of(before.Request);
                }
            }
            else
            {
                _perTenant[job.Tenant] = (_perTenant.GetValueOrDefault(job.Tenant) ?? []).Add((job.AcceptedAt, job.JobId));
                if (job.InputBlob is { } blob)
                {
                    _blobs[blob] = _blobs.GetValueOrDefault(blob) + 1;
                }
                if (job.IdempotencyKey is { } key)
                {
                    _keys[(job.Tenant, key)] = job.JobId;
                }
            }
            if (job.State == JobState.Queued)
            {
                _queued[job.Module] = _queued.GetValueOrDefault(job.Module) + TenantLoad.Of(job.Request);
            }
            if (wasOpen != job.IsOpen)
            {
                // A finished job's record has let go of its request: its work is the one it was opened with.
                var load = _openPerTenant.GetValueOrDefault(job.Tenant);
                _open += job.IsOpen ? 1 : -1;
                _openPerTenant[job.Tenant] = job.IsOpen ? load + TenantLoad.Of(job.Request) : load - TenantLoad.Of(before!.Request);
            }
            _jobs[job.JobId] = job;
        }

        /// <summary>Drops a finished job: its record, its place in its tenant's order, its key and its blob reference.</summary>
        public void Untrack(JobRecord job)
        {
            _changed = true;
            _jobs.Remove(job.JobId);
            var rest = _perTenant[job.Tenant].Remove((job.AcceptedAt, job.JobId));
            if (rest.IsEmpty)
            {
                _perTenant.Remove(job.Tenant);
            }
            else
            {
                _perTenant[job.Tenant] = rest;
            }
            if (job.IdempotencyKey is { } key && _keys.GetValueOrDefault((job.Tenant, key)) == job.JobId)
            {
                _keys.Remove((job.Tenant, key));
            }
            if (job.InputBlob is { } blob && (_blobs[blob] -= 1) == 0)
            {
                _blobs.Remove(blob);
            }
        }

        /// <summary>The new state; the same instance when nothing changed.</summary>
        public IntakeState ToState() => !_changed
            ? from
            : new(_jobs.ToImmutable(), _keys.ToImmutable(), _perTenant.ToImmutable(), _openPerTenant.ToImmutable(), _queued.ToImmutable(), _open, _blobs.ToImmutable());
    }
}
