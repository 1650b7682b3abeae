using System.Collections.Immutable;
using Akka.Actor;
using Dpr.Actors.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.Actors.Tests.Jobs;

public sealed class JobStorageSweeperActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-storage-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly BlobStore _blobs;
    private readonly ResultStore _results;

    public JobStorageSweeperActorTests()
        : base(ActorTestConfig.Config)
    {
        _blobs = new BlobStore(Path.Combine(_directory, "blobs"), _time);
        _results = new ResultStore(Path.Combine(_directory, "results"), TimeSpan.FromDays(1), _time);
    }

    private static StoredResult Meta(Guid id) => new(id, "conv3x3_int8", [1, 1, 1, 1], "requantized", "conv", DateTimeOffset.UnixEpoch);

    private IActorRef Sweeper(IActorRef intake) => Sys.ActorOf(JobStorageSweeperActor.Props(intake, _blobs, _results, _time, Grace));

    [Fact]
    public async Task The_results_and_blobs_of_forgotten_jobs_are_deleted()
    {
        var (gone, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await _results.StoreAsync(Meta(gone), [1]);
        await _results.StoreAsync(Meta(kept), [2]);
        var blob = _blobs.Put([1, 2, 3]);
        var other = _blobs.Put([4, 5, 6]);
        _time.Advance(Grace);
        var sweeper = Sweeper(CreateTestProbe().Ref);

        sweeper.Tell(new ForgottenJobs([gone], [blob]));

        await AwaitAssertAsync(() =>
        {
            Assert.Null(_results.TryLoad(gone));
            Assert.False(_blobs.Contains(blob));
        });
        Assert.NotNull(_results.TryLoad(kept));
        Assert.True(_blobs.Contains(other));
    }

    [Fact]
    public async Task A_sweep_deletes_what_the_intake_does_not_keep_and_nothing_it_does()
    {
        var (known, unknown) = (Guid.NewGuid(), Guid.NewGuid());
        await _results.StoreAsync(Meta(known), [1]);
        await _results.StoreAsync(Meta(unknown), [2]);
        var named = _blobs.Put([1]);
        var refused = _blobs.Put([2]);
        _time.Advance(TimeSpan.FromDays(2));
        var recent = _blobs.Put([3]);
        var intake = CreateTestProbe();
        var sweeper = Sweeper(intake.Ref);

        sweeper.Tell(JobStorageSweeperActor.Sweep.Instance);
        await intake.ExpectMsgAsync<JobIntakeActor.GetKept>();
        var record = new JobRecord(known, "t1", "conv3x3_int8", JobState.Completed, null, _time.GetUtcNow(), InputBlob: named);
        intake.Reply(new JobIntakeActor.Kept(ImmutableDictionary<Guid, JobRecord>.Empty.Add(known, record), ImmutableDictionary<string, int>.Empty.Add(named, 1)));

        var swept = await ExpectMsgAsync<JobStorageSweeperActor.Swept>();
        Assert.Equal(new JobStorageSweeperActor.Swept(1, 1, null), swept);
        Assert.NotNull(_results.TryLoad(known));
        Assert.Null(_results.TryLoad(unknown));
        Assert.True(_blobs.Contains(named));
        Assert.False(_blobs.Contains(refused));
        // Put within the grace: its submission may be on its way to the journal.
        Assert.True(_blobs.Contains(recent));
    }

    [Fact]
    public void A_sweep_without_an_answer_from_the_intake_deletes_nothing_and_says_why()
    {
        _blobs.Put([1]);
        _time.Advance(TimeSpan.FromDays(2));
        var sweeper = Sys.ActorOf(JobStorageSweeperActor.Props(CreateTestProbe().Ref, _blobs, _results, _time, Grace, askTimeout: TimeSpan.FromMilliseconds(100)));

        sweeper.Tell(JobStorageSweeperActor.Sweep.Instance);

        var swept = ExpectMsg<JobStorageSweeperActor.Swept>();
        Assert.NotNull(swept.Error);
        Assert.Equal(1, _blobs.Count());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _results.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}
