using Akka.Actor;
using Akka.Event;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Deletes what no kept job needs, so a service that runs for months on an SD card holds a bounded
/// amount: the results and blobs of jobs the intake forgot (<see cref="ForgottenJobs"/>, told once a
/// snapshot without them is stored), and on each <see cref="Sweep"/> whatever a crash or a refusal left:
/// blobs no kept job names (a refused submission's, or one whose deletion a crash cut off) and results
/// of jobs the intake no longer knows. It deletes only what the intake's state no longer holds, so a
/// crash between steps leaves files of jobs that are gone (taken by the next sweep), never an accepted
/// job without its input. File and database work runs off the actor's thread, one task at a time.
/// </summary>
public sealed class JobStorageSweeperActor : ReceiveActor, IWithStash
{
    private readonly ICanTell _intake;
    private readonly IBlobStore? _blobs;
    private readonly IResultStore? _results;
    private readonly TimeProvider _time;
    private readonly TimeSpan _blobGrace;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="intake">Asked what it keeps (<see cref="JobIntakeActor.GetKept"/>) before a sweep.</param>
    /// <param name="blobGrace">A blob put more recently is kept even when no job names it yet: its submission may be on its way to the journal.</param>
    public JobStorageSweeperActor(ICanTell intake, IBlobStore? blobs, IResultStore? results, TimeProvider time, TimeSpan blobGrace, TimeSpan askTimeout)
    {
        _intake = intake;
        _blobs = blobs;
        _results = results;
        _time = time;
        _blobGrace = blobGrace;
        _askTimeout = askTimeout;
        Idle();
    }

    public IStash Stash { get; set; } = null!;

    /// <param name="blobGrace">Default: an hour, far longer than a submission takes to be stored.</param>
    public static Props Props(ICanTell intake, IBlobStore? blobs, IResultStore? results, TimeProvider time, TimeSpan? blobGrace = null, TimeSpan? askTimeout = null) =>
        Akka.Actor.Props.Create(() => new JobStorageSweeperActor(intake, blobs, results, time, blobGrace ?? TimeSpan.FromHours(1), askTimeout ?? TimeSpan.FromSeconds(30)));

    private void Idle()
    {
        Receive<ForgottenJobs>(forgotten => Work(() => DeleteForgotten(forgotten), null));
        Receive<Sweep>(_ =>
        {
            var requester = Sender;
            Become(Busy);
            _intake.Ask<JobIntakeActor.Kept>(JobIntakeActor.GetKept.Instance, _askTimeout)
                .PipeTo(Self, success: kept => new Asked(kept, requester), failure: e => new Done(null, requester, $"the intake did not say what it keeps: {e.GetBaseException().Message}"));
        });
    }

    private void Busy()
    {
        Receive<Asked>(asked => Work(() => SweepWith(asked.Kept), asked.Requester));
        Receive<Done>(done =>
        {
            if (done.Error is { } error)
            {
                _log.Warning("Deleting stored job data failed (the next sweep tries again): {Reason}", error);
            }
            else if (done.Swept is { } swept && swept.Results + swept.Blobs > 0)
            {
                _log.Info("Deleted {Results} results and {Blobs} blobs no kept job needs", swept.Results, swept.Blobs);
            }
            done.Requester?.Tell(done.Swept ?? new Swept(0, 0, done.Error));
            Become(Idle);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool; the actor waits for it (stashing) and then tells <paramref name="requester"/>.</summary>
    private void Work(Func<Swept> work, IActorRef? requester)
    {
        Become(Busy);
        Task.Run(work).PipeTo(Self, success: swept => new Done(swept, requester, null), failure: e => new Done(null, requester, e.GetBaseException().Message));
    }

    private Swept DeleteForgotten(ForgottenJobs forgotten)
    {
        var results = _results?.Delete(forgotten.Jobs) ?? 0;
        var blobs = _blobs is null ? 0 : forgotten.Blobs.Count(key => _blobs.Delete(key, _blobGrace));
        return new Swept(results, blobs, null);
    }

    private Swept SweepWith(JobIntakeActor.Kept kept)
    {
        var results = _results?.Prune(_time.GetUtcNow(), kept.Jobs.ContainsKey) ?? 0;
        var blobs = _blobs?.DeleteUnnamed(kept.Blobs.ContainsKey, _blobGrace) ?? 0;
        return new Swept(results, blobs, null);
    }

    /// <summary>Deletes what a crash or a refusal left; answered with <see cref="Swept"/>. <c>dpr serve</c> sends it at start and hourly.</summary>
    public sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    /// <summary>What one deletion removed; <paramref name="Error"/> when it could not run (nothing is lost: the next sweep tries again).</summary>
    public sealed record Swept(int Results, int Blobs, string? Error);

    private sealed record Asked(JobIntakeActor.Kept Kept, IActorRef Requester);

    private sealed record Done(Swept? Swept, IActorRef? Requester, string? Error);
}
