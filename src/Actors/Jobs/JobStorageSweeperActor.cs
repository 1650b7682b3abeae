using Akka.Actor;
using Akka.Event;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Deletes what no kept job needs, so a service that runs for months on an SD card holds a bounded
/// amount. On each <see cref="Sweep"/>: the jobs that finished more than the retention ago — their index
/// rows, their results, and the input blobs no other job names — a page at a time, so memory does not
/// grow with the history; then whatever a crash or a refusal left: results of jobs neither the intake
/// nor the index has (older than the retention) and blobs none of them names (a refused submission's,
/// or one whose deletion a crash cut off). What the intake holds it asks first (<see cref="JobIntakeActor.GetKept"/>):
/// the intake lets go of a finished job only once its index row is committed, so a job is always in
/// one of the two, and a blob put since the question is within the grace. A job's row goes before its
/// result and its blob, so a crash between steps leaves a result or a blob no job names (the orphan step
/// takes them), never a completed job without its result. File and database work runs off the actor's
/// thread, one task at a time.
/// </summary>
public sealed class JobStorageSweeperActor : ReceiveActor, IWithStash
{
    /// <summary>Expired jobs deleted per page: what one sweep holds in memory at a time.</summary>
    public const int PageSize = 500;

    private readonly ICanTell _intake;
    private readonly IJobIndex? _index;
    private readonly IBlobStore? _blobs;
    private readonly IResultStore? _results;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retention;
    private readonly TimeSpan _blobGrace;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="intake">Asked what it holds (<see cref="JobIntakeActor.GetKept"/>) before a sweep.</param>
    /// <param name="retention">How long a finished job is kept (look-up, list, idempotency key, result), counted from its finish.</param>
    /// <param name="blobGrace">A blob put more recently is kept even when no job names it yet: its submission may be on its way to the journal.</param>
    public JobStorageSweeperActor(ICanTell intake, IJobIndex? index, IBlobStore? blobs, IResultStore? results, TimeProvider time, TimeSpan retention, TimeSpan blobGrace, TimeSpan askTimeout)
    {
        _intake = intake;
        _index = index;
        _blobs = blobs;
        _results = results;
        _time = time;
        _retention = retention;
        _blobGrace = blobGrace;
        _askTimeout = askTimeout;
        Idle();
    }

    public IStash Stash { get; set; } = null!;

    /// <param name="blobGrace">Default: an hour, far longer than a submission takes to be stored.</param>
    public static Props Props(ICanTell intake, IJobIndex? index, IBlobStore? blobs, IResultStore? results, TimeProvider time, TimeSpan retention, TimeSpan? blobGrace = null, TimeSpan? askTimeout = null) =>
        Akka.Actor.Props.Create(() => new JobStorageSweeperActor(intake, index, blobs, results, time, retention, blobGrace ?? TimeSpan.FromHours(1), askTimeout ?? TimeSpan.FromSeconds(30)));

    private void Idle()
    {
        Receive<Sweep>(_ =>
        {
            var requester = Sender;
            Become(Busy);
            _intake.Ask<JobIntakeActor.Kept>(JobIntakeActor.GetKept.Instance, _askTimeout)
                .PipeTo(Self, success: kept => new Asked(kept, requester), failure: e => new Done(null, requester, $"the intake did not say what it holds: {e.GetBaseException().Message}"));
        });
    }

    private void Busy()
    {
        Receive<Asked>(asked => Task.Run(() => SweepWith(asked.Kept)).PipeTo(
            Self, success: swept => new Done(swept, asked.Requester, null), failure: e => new Done(null, asked.Requester, e.GetBaseException().Message)));
        Receive<Done>(done =>
        {
            if (done.Error is { } error)
            {
                _log.Warning("Deleting stored job data failed (the next sweep tries again): {Reason}", error);
            }
            else if (done.Swept is { } swept && swept.Jobs + swept.Results + swept.Blobs > 0)
            {
                _log.Info("Deleted {Jobs} finished jobs past the retention, {Results} results and {Blobs} blobs no kept job needs", swept.Jobs, swept.Results, swept.Blobs);
            }
            done.Requester.Tell(done.Swept ?? new Swept(0, 0, 0, done.Error));
            Become(Idle);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private Swept SweepWith(JobIntakeActor.Kept kept)
    {
        var now = _time.GetUtcNow();
        var (jobs, results, blobs) = (0, 0, 0);
        if (_index is { } index)
        {
            IReadOnlyList<JobRecord> expired;
            do
            {
                expired = index.FinishedBefore(now - _retention, PageSize);
                var ids = expired.Select(j => j.JobId).ToList();
                jobs += index.Delete(ids);
                results += _results?.Delete(ids) ?? 0;
                blobs += expired.Select(j => j.InputBlob).OfType<string>().Distinct(StringComparer.Ordinal)
                    .Count(key => !Named(key, kept) && _blobs?.Delete(key, _blobGrace) == true);
            }
            while (expired.Count == PageSize);
        }
        results += _results?.Prune(now, id => kept.Jobs.ContainsKey(id) || _index?.Find(id) is not null) ?? 0;
        blobs += _blobs?.DeleteUnnamed(key => Named(key, kept), _blobGrace) ?? 0;
        return new Swept(jobs, results, blobs, null);
    }

    /// <summary>Whether a job the intake holds or a row of the index names the blob.</summary>
    private bool Named(string key, JobIntakeActor.Kept kept) => kept.Blobs.ContainsKey(key) || _index?.Names(key) == true;

    /// <summary>Deletes what the retention and a crash or a refusal left; answered with <see cref="Swept"/>. <c>dpr serve</c> sends it at start and then regularly (<c>StorageSweepService</c>).</summary>
    public sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    /// <summary>What one sweep removed: index rows, results and blobs; <paramref name="Error"/> when it could not run (nothing is lost: the next sweep tries again).</summary>
    public sealed record Swept(int Jobs, int Results, int Blobs, string? Error);

    private sealed record Asked(JobIntakeActor.Kept Kept, IActorRef Requester);

    private sealed record Done(Swept? Swept, IActorRef Requester, string? Error);
}
