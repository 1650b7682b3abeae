using System.Collections.Immutable;
using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Dpr.Actors.Tests.Jobs;

public sealed class JobStorageSweeperActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-storage-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly BlobStore _blobs;
    private readonly ResultStore _results;
    private readonly JobIndex _index;

    public JobStorageSweeperActorTests()
        : base(TestNode.Config)
    {
        _blobs = new BlobStore(Path.Combine(_directory, "blobs"), _time);
        _results = new ResultStore(Path.Combine(_directory, "results"), Retention, _time);
        _index = new JobIndex(Path.Combine(_directory, "jobs.db"));
    }

    private static StoredResult Meta(Guid id) => new(id, "conv3x3_int8", [1, 1, 1, 1], "requantized", "conv", DateTimeOffset.UnixEpoch);

    private JobRecord Finished(Guid id, TimeSpan ago, string? blob = null) =>
        new(id, "t1", "conv3x3_int8", JobState.Completed, null, _time.GetUtcNow() - ago - TimeSpan.FromSeconds(1), FinishedAt: _time.GetUtcNow() - ago, InputBlob: blob);

    private IActorRef Sweeper(IActorRef intake) => Sys.ActorOf(JobStorageSweeperActor.Props(intake, _index, _blobs, _results, _time, Retention, Grace));

    /// <summary>A sweep, the intake (a probe) answering that it holds <paramref name="held"/>.</summary>
    private async Task<JobStorageSweeperActor.Swept> SweepAsync(params JobRecord[] held)
    {
        var intake = CreateTestProbe();
        Sweeper(intake.Ref).Tell(JobStorageSweeperActor.Sweep.Instance);
        await intake.ExpectMsgAsync<JobIntakeActor.GetKept>();
        intake.Reply(new JobIntakeActor.Kept(
            held.ToImmutableDictionary(j => j.JobId),
            held.Select(j => j.InputBlob).OfType<string>().GroupBy(b => b).ToImmutableDictionary(b => b.Key, b => b.Count())));
        return await ExpectMsgAsync<JobStorageSweeperActor.Swept>();
    }

    [Fact]
    public async Task Jobs_past_the_retention_go_with_their_results_and_the_blobs_no_kept_job_names()
    {
        var (a, b, c) = (_blobs.Put([1]), _blobs.Put([2]), _blobs.Put([3]));
        _time.Advance(TimeSpan.FromDays(3));
        var (old, oldSharing, oldHeld, fresh, open) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await _index.StoreAsync([Finished(old, TimeSpan.FromDays(2), a), Finished(oldSharing, TimeSpan.FromDays(2), b), Finished(oldHeld, TimeSpan.FromDays(2), c), Finished(fresh, TimeSpan.FromHours(1), b)]);
        foreach (var id in new[] { old, oldSharing, oldHeld, fresh })
        {
            await _results.StoreAsync(Meta(id), [1]);
        }

        // b is named by the fresh job still kept, c by an open job the intake holds.
        var swept = await SweepAsync(new JobRecord(open, "t1", "conv3x3_int8", JobState.Queued, null, _time.GetUtcNow(), InputBlob: c));

        Assert.Equal(new JobStorageSweeperActor.Swept(3, 3, 1, null), swept);
        Assert.Equal(1, _index.Count());
        Assert.NotNull(_index.Find(fresh));
        Assert.Null(_index.Find(old));
        Assert.Equal(1, _results.Count());
        Assert.NotNull(_results.TryLoad(fresh));
        Assert.False(_blobs.Contains(a));
        Assert.True(_blobs.Contains(b));
        Assert.True(_blobs.Contains(c));
    }

    [Fact]
    public async Task A_sweep_deletes_what_no_kept_job_needs_and_nothing_a_held_or_indexed_job_does()
    {
        var (open, indexed, unknown) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        foreach (var id in new[] { open, indexed, unknown })
        {
            await _results.StoreAsync(Meta(id), [1]);
        }
        var heldBlob = _blobs.Put([1]);
        var indexedBlob = _blobs.Put([2]);
        var refused = _blobs.Put([3]);
        _time.Advance(TimeSpan.FromDays(2));
        var recent = _blobs.Put([4]);
        // Its result is older than the retention (it waited to be recorded), the job is not.
        await _index.StoreAsync([Finished(indexed, TimeSpan.FromHours(1), indexedBlob)]);

        var swept = await SweepAsync(new JobRecord(open, "t1", "conv3x3_int8", JobState.Running, null, _time.GetUtcNow(), InputBlob: heldBlob));

        Assert.Equal(new JobStorageSweeperActor.Swept(0, 1, 1, null), swept);
        Assert.NotNull(_results.TryLoad(open));
        Assert.NotNull(_results.TryLoad(indexed));
        Assert.Null(_results.TryLoad(unknown));
        Assert.True(_blobs.Contains(heldBlob));
        Assert.True(_blobs.Contains(indexedBlob));
        Assert.False(_blobs.Contains(refused));
        // Put within the grace: its submission may be on its way to the journal.
        Assert.True(_blobs.Contains(recent));
    }

    [Fact]
    public async Task Jobs_past_the_retention_are_deleted_a_page_at_a_time_until_none_is_left()
    {
        const int expired = (2 * JobStorageSweeperActor.PageSize) + 34;
        await _index.StoreAsync([.. Enumerable.Range(0, expired).Select(i => Finished(Guid.NewGuid(), TimeSpan.FromDays(2) + TimeSpan.FromSeconds(i)))]);
        await _index.StoreAsync([Finished(Guid.NewGuid(), TimeSpan.Zero)]);

        var swept = await SweepAsync();

        Assert.Equal(expired, swept.Jobs);
        Assert.Equal(1, _index.Count());
    }

    [Fact]
    public void A_sweep_without_an_answer_from_the_intake_deletes_nothing_and_says_why()
    {
        _blobs.Put([1]);
        _time.Advance(TimeSpan.FromDays(2));
        var sweeper = Sys.ActorOf(JobStorageSweeperActor.Props(CreateTestProbe().Ref, _index, _blobs, _results, _time, Retention, Grace, askTimeout: TimeSpan.FromMilliseconds(100)));

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
            _index.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}
