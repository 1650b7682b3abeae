using System.Collections.Immutable;
using static Dpr.Actors.Jobs.JobEvents;

namespace Dpr.Actors.Jobs;

/// <summary>
/// What the job intake knows, as its journal describes it: every job still known, each tenant's jobs in
/// acceptance order, the idempotency keys, and the counts its bounds use. Immutable; <see cref="Apply"/>
/// is a pure function of the events, so recovery (a snapshot plus the events after it) rebuilds exactly
/// this, and it is tested without actors.
/// </summary>
/// <param name="Blobs">
/// How many known jobs name each blob. Blobs are content-addressed, so two jobs with the same input
/// share one: a blob may go only when no known job names it any more.
/// </param>
public sealed record IntakeState(
    ImmutableDictionary<Guid, JobRecord> Jobs,
    ImmutableDictionary<(string Tenant, string Key), Guid> Keys,
    ImmutableDictionary<string, ImmutableList<Guid>> PerTenant,
    ImmutableDictionary<string, int> OpenPerTenant,
    ImmutableDictionary<string, int> QueuedPerModule,
    int Open,
    ImmutableDictionary<string, int> Blobs)
{
    public static IntakeState Empty { get; } = new(
        ImmutableDictionary<Guid, JobRecord>.Empty,
        ImmutableDictionary<(string Tenant, string Key), Guid>.Empty,
        ImmutableDictionary.Create<string, ImmutableList<Guid>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, int>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, int>(StringComparer.Ordinal),
        0,
        ImmutableDictionary.Create<string, int>(StringComparer.Ordinal));

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
    /// Forgets the jobs that finished before <paramref name="horizon"/> (their look-ups, list entries and
    /// keys). Counted from the finish, not the acceptance: a job that waited long is still known for the
    /// whole retention after it ended, so its submitter can fetch the result.
    /// </summary>
    public IntakeState Forget(DateTimeOffset horizon) => ForgetBefore(horizon).Kept;

    /// <summary>
    /// <see cref="Forget"/>, and what went with the jobs: their ids (their results may go) and the blobs
    /// no job still known names (they may go too). An open job is never forgotten, so neither is its input.
    /// </summary>
    public (IntakeState Kept, ForgottenJobs Forgotten) ForgetBefore(DateTimeOffset horizon)
    {
        var forgotten = Jobs.Values.Where(j => !j.IsOpen && (j.FinishedAt ?? j.AcceptedAt) < horizon).ToList();
        if (forgotten.Count == 0)
        {
            return (this, ForgottenJobs.None);
        }
        var ids = forgotten.Select(j => j.JobId).ToHashSet();
        var blobs = Blobs.ToBuilder();
        var unnamed = new List<string>();
        foreach (var key in forgotten.Select(j => j.InputBlob).OfType<string>())
        {
            if ((blobs[key] -= 1) == 0)
            {
                blobs.Remove(key);
                unnamed.Add(key);
            }
        }
        var kept = this with
        {
            Jobs = Jobs.RemoveRange(ids),
            Keys = Keys.RemoveRange(Keys.Where(k => ids.Contains(k.Value)).Select(k => k.Key)),
            PerTenant = PerTenant.ToImmutableDictionary(t => t.Key, t => t.Value.RemoveAll(ids.Contains), StringComparer.Ordinal),
            Blobs = blobs.ToImmutable(),
        };
        return (kept, new ForgottenJobs([.. ids], [.. unnamed]));
    }

    public IntakeSnapshot ToSnapshot()
    {
        var keyOf = Keys.ToDictionary(k => k.Value, k => k.Key.Key);
        return new IntakeSnapshot([.. PerTenant.Values.SelectMany(ids => ids).Select(id => Jobs[id]).Select(j => new IntakeSnapshot.Job(
            j.JobId, j.Tenant, j.Module, IntakeSnapshot.Job.Wire(j.State), j.Request, j.AcceptedAt, j.Partition, j.Error, keyOf.GetValueOrDefault(j.JobId), j.Starts, j.StartedAt, j.FinishedAt, j.InputBlob))]);
    }

    public static IntakeState From(IntakeSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var edit = new Edit(Empty);
        foreach (var j in snapshot.Jobs)
        {
            // Snapshots from before InputBlob was kept name the blob only through an open job's request.
            edit.Track(new JobRecord(j.JobId, j.Tenant, j.Module, j.ParseState(), j.Request, j.AcceptedAt, j.Partition, j.Error, j.Starts, j.StartedAt, j.FinishedAt, j.InputBlob ?? j.Request?.InputBlob), j.IdempotencyKey);
        }
        return edit.ToState();
    }

    /// <summary>A tenant's jobs, newest first, optionally only those in <paramref name="state"/>.</summary>
    public JobReplies.JobStatus[] List(string tenant, JobState? state, int limit)
    {
        if (!PerTenant.TryGetValue(tenant, out var ids))
        {
            return [];
        }
        var found = new List<JobReplies.JobStatus>();
        for (var i = ids.Count - 1; i >= 0 && found.Count < limit; i--)
        {
            var job = Jobs[ids[i]];
            if (state is null || job.State == state)
            {
                found.Add(job.ToStatus());
            }
        }
        return [.. found];
    }

    /// <summary>A state being changed: builders for one pass over events, frozen again by <see cref="ToState"/>.</summary>
    private sealed class Edit(IntakeState from)
    {
        private readonly ImmutableDictionary<Guid, JobRecord>.Builder _jobs = from.Jobs.ToBuilder();
        private readonly ImmutableDictionary<(string Tenant, string Key), Guid>.Builder _keys = from.Keys.ToBuilder();
        private readonly ImmutableDictionary<string, ImmutableList<Guid>>.Builder _perTenant = from.PerTenant.ToBuilder();
        private readonly ImmutableDictionary<string, int>.Builder _openPerTenant = from.OpenPerTenant.ToBuilder();
        private readonly ImmutableDictionary<string, int>.Builder _queued = from.QueuedPerModule.ToBuilder();
        private readonly ImmutableDictionary<string, int>.Builder _blobs = from.Blobs.ToBuilder();
        private int _open = from.Open;
        private bool _changed;

        public void Apply(IJobEvent e)
        {
            switch (e)
            {
                case JobAccepted a when !_jobs.ContainsKey(a.JobId):
                    Track(new JobRecord(a.JobId, a.Request.Tenant, a.Request.Module, JobState.Queued, a.Request, a.At, InputBlob: a.Request.InputBlob), a.Request.IdempotencyKey);
                    break;
                case JobStarted s when _jobs.TryGetValue(s.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Running, Partition = s.Partition, Starts = Math.Max(job.Starts, s.Attempt), StartedAt = job.StartedAt ?? s.At }, null);
                    break;
                case JobCompleted c when _jobs.TryGetValue(c.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Completed, Request = null, FinishedAt = c.At }, null);
                    break;
                case JobFailed f when _jobs.TryGetValue(f.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Failed, Request = null, Error = f.Reason, FinishedAt = f.At }, null);
                    break;
                case JobCancelled c when _jobs.TryGetValue(c.JobId, out var job) && job.IsOpen:
                    Track(job with { State = JobState.Cancelled, Request = null, FinishedAt = c.At }, null);
                    break;
                // A second acceptance of an id, or a transition of a job already finished or forgotten, changes
                // nothing: one acceptance and one outcome per job.
            }
        }

        /// <summary>Stores the job's new record and keeps the per-tenant order, the open counts, the queued count per module and the blob references.</summary>
        public void Track(JobRecord job, string? idempotencyKey)
        {
            _changed = true;
            var wasOpen = false;
            if (_jobs.TryGetValue(job.JobId, out var before))
            {
                wasOpen = before.IsOpen;
                if (before.State == JobState.Queued)
                {
                    _queued[before.Module] -= 1;
                }
            }
            else
            {
                _perTenant[job.Tenant] = (_perTenant.GetValueOrDefault(job.Tenant) ?? []).Add(job.JobId);
                if (job.InputBlob is { } blob)
                {
                    _blobs[blob] = _blobs.GetValueOrDefault(blob) + 1;
                }
            }
            if (job.State == JobState.Queued)
            {
                _queued[job.Module] = _queued.GetValueOrDefault(job.Module) + 1;
            }
            if (wasOpen != job.IsOpen)
            {
                var delta = job.IsOpen ? 1 : -1;
                _open += delta;
                _openPerTenant[job.Tenant] = _openPerTenant.GetValueOrDefault(job.Tenant) + delta;
            }
            _jobs[job.JobId] = job;
            if (idempotencyKey is not null)
            {
                _keys[(job.Tenant, idempotencyKey)] = job.JobId;
            }
        }

        /// <summary>The new state; the same instance when no event changed anything.</summary>
        public IntakeState ToState() => !_changed
            ? from
            : new(_jobs.ToImmutable(), _keys.ToImmutable(), _perTenant.ToImmutable(), _openPerTenant.ToImmutable(), _queued.ToImmutable(), _open, _blobs.ToImmutable());
    }
}
