using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Dpr.Actors.Jobs;
using Dpr.Actors.Journal;
using Dpr.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>
/// The intake on the real SQLite journal with the SQLite job index: what a snapshot covers is deleted, the
/// intake holds only open jobs once the index has the finished ones, a restart (also on the data of the
/// previous version, whose snapshots held every finished job) recovers only what is open, and a long run
/// with a short retention holds a bounded number of rows, blobs and results.
/// </summary>
public sealed class IntakeStorageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-intake-storage-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private JobIndex? _index;

    private JournalSettings Journal => JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db"));

    private JobIndex Index => _index ??= new JobIndex(Path.Combine(_directory, "jobs.db"));

    private ActorSystem Start() => Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    private IActorRef Intake(ActorSystem system, int snapshotEvery) =>
        system.ActorOf(JobIntakeActor.Props("b", new JobIntakeOptions(SnapshotEvery: snapshotEvery), _clock, null, Index), "jobs-b");

    private static JobRequest Request(int seed, string? key = null) => JobIntakeActorTests.Request(h: 8, fill: (sbyte)(seed % 100), key: key).Check();

    private static async Task<Guid> SubmitAsync(IActorRef intake, JobRequest request, bool @checked = true) =>
        Assert.IsType<JobReplies.Accepted>(await intake.Ask<object>(new JobCommands.Submit(request, @checked), Timeout)).JobId;

    private static Task SyncAsync(IActorRef intake) => intake.Ask<JobIntakeActor.Synced>(new JobIntakeActor.Sync(), Timeout);

    private static async Task<ISet<Guid>> HeldAsync(IActorRef intake) =>
        (await intake.Ask<JobIntakeActor.Kept>(JobIntakeActor.GetKept.Instance, Timeout)).Jobs.Keys.ToHashSet();

    /// <summary>Rows of the intake's events in the journal (Akka.Persistence.Sql keeps the highest deleted one, marked, to remember the sequence number).</summary>
    private long JournalRows() => Count("dpr.db", "SELECT COUNT(*) FROM journal WHERE persistence_id = 'jobs-b'");

    private long Snapshots() => Count("dpr.snapshots.db", "SELECT COUNT(*) FROM snapshot WHERE persistence_id = 'jobs-b'");

    private long Count(string file, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, file), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task After_the_journal_is_deleted_up_to_a_snapshot_a_restart_holds_the_open_jobs_and_the_index_the_finished_ones()
    {
        var open = new List<Guid>();
        var completed = new List<Guid>();
        var failed = new List<Guid>();
        var events = 0;
        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 10);
            for (var i = 0; i < 30; i++)
            {
                var id = await SubmitAsync(intake, Request(i));
                events++;
                if (i % 3 == 0)
                {
                    intake.Tell(new JobCommands.RecordCompleted(id, "r", "conv"));
                    events++;
                    completed.Add(id);
                }
                else
                {
                    open.Add(id);
                }
            }
            for (var i = 0; i < 40; i++)
            {
                var id = await SubmitAsync(intake, Request(100 + i));
                intake.Tell(new JobCommands.RecordStarted(id, "conv", "conv3x3_int8", 1));
                events += 2;
                if (i % 2 == 0)
                {
                    intake.Tell(new JobCommands.RecordFailed(id, "bad luck"));
                    events++;
                    failed.Add(id);
                }
                else
                {
                    open.Add(id);
                }
                await SyncAsync(intake);
            }
            await Eventually.TrueAsync(async () => (await HeldAsync(intake)).SetEquals(open), "the intake holds only the open jobs", Timeout);
            await Eventually.TrueAsync(() => JournalRows() < events / 2, $"the journal holds {JournalRows()} of {events} events", Timeout);
            await Eventually.TrueAsync(() => Snapshots() == 1, $"{Snapshots()} snapshots kept", Timeout);
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();

        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 10);
            // The finished jobs replayed from the events after the snapshot are held until the index has them (again).
            await Eventually.TrueAsync(async () => (await HeldAsync(intake)).SetEquals(open), "the intake holds only the open jobs", Timeout);
            foreach (var id in open)
            {
                var status = Assert.IsType<JobReplies.JobStatus>(await intake.Ask<object>(new JobCommands.GetJob(id), Timeout));
                Assert.True(status.State is JobState.Queued or JobState.Running, $"{id} is {status.State}");
            }
            foreach (var id in completed.Concat(failed))
            {
                // Not held by the intake: the index answers for it.
                Assert.IsType<JobReplies.NotFound>(await intake.Ask<object>(new JobCommands.GetJob(id), Timeout));
                Assert.Equal(completed.Contains(id) ? JobState.Completed : JobState.Failed, Index.Find(id)!.State);
            }
            Assert.Equal("bad luck", Index.Find(failed[0])!.Error);
            var depths = await intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), Timeout);
            Assert.Equal(20, depths.Queued["conv3x3_int8"]);
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_data_directory_of_the_previous_version_recovers_its_finished_jobs_into_the_index_and_holds_only_open_ones()
    {
        // The previous version's data: a snapshot holding every job it knew, finished ones too, and events after it.
        var t0 = _clock.GetUtcNow();
        var jobs = Enumerable.Range(0, 12).Select(i => new JobEvents.JobAccepted(Guid.NewGuid(), Request(i, key: $"k{i}"), t0.AddSeconds(i))).ToList();
        var before = new List<IJobEvent>(jobs);
        before.AddRange(jobs.Take(8).Select(j => new JobEvents.JobCompleted(j.JobId, "r", "conv", t0.AddMinutes(1))));
        var snapshot = IntakeState.Empty.ApplyAll(before).ToSnapshot();
        Assert.Equal(12, snapshot.Jobs.Length);
        var later = new JobEvents.JobAccepted(Guid.NewGuid(), Request(50, key: "later"), t0.AddMinutes(2));
        IJobEvent[] after = [later, new JobEvents.JobFailed(jobs[8].JobId, "bad luck", t0.AddMinutes(3)), new JobEvents.JobCancelled(later.JobId, "t1", t0.AddMinutes(4))];
        using (var system = Start())
        {
            var written = system.ActorOf(Props.Create(() => new PreviousVersion(before, snapshot, after)), "previous");
            Assert.Equal("written", await written.Ask<string>("write", Timeout));
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();
        var finished = jobs.Take(9).Select(j => j.JobId).Append(later.JobId).ToList();
        var open = jobs.Skip(9).Select(j => j.JobId).ToHashSet();

        using (var system = Start())
        {
            // A snapshot interval smaller than the finished jobs recovered: worth a snapshot once the index has them.
            var intake = Intake(system, snapshotEvery: 5);
            await Eventually.TrueAsync(async () => (await HeldAsync(intake)).SetEquals(open), "the intake holds only the open jobs", Timeout);
            Assert.All(finished, id => Assert.NotNull(Index.Find(id)));
            Assert.Equal(JobState.Failed, Index.Find(jobs[8].JobId)!.State);
            Assert.Equal((JobState.Cancelled, "later"), (Index.Find(later.JobId)!.State, Index.Find(later.JobId)!.IdempotencyKey));
            // A key of a finished job in the old snapshot still finds it.
            var again = Assert.IsType<JobReplies.Accepted>(await intake.Ask<object>(new JobCommands.Submit(Request(3, key: "k3"), true), Timeout));
            Assert.Equal((jobs[3].JobId, true), (again.JobId, again.Duplicate));
            // Once the index has them, a snapshot without them spares the next restart.
            await Eventually.TrueAsync(() => LatestSnapshotJobs(system) == open.Count, "a snapshot holding only the open jobs", Timeout);
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();

        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 10_000);
            Assert.True((await HeldAsync(intake)).SetEquals(open));
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_checkpoint_at_a_graceful_stop_leaves_no_events_to_replay()
    {
        var open = new HashSet<Guid>();
        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 10_000);
            for (var i = 0; i < 30; i++)
            {
                var id = await SubmitAsync(intake, Request(i));
                if (i % 3 == 0)
                {
                    open.Add(id);
                }
                else
                {
                    intake.Tell(new JobCommands.RecordCompleted(id, "r", "conv"));
                }
            }
            await SyncAsync(intake);
            await Eventually.TrueAsync(async () => (await HeldAsync(intake)).SetEquals(open), "the intake holds only the open jobs", Timeout);

            await intake.Ask<JobIntakeActor.Synced>(new JobIntakeActor.Checkpoint(), Timeout);

            Assert.Equal(open.Count, LatestSnapshotJobs(system));
            // Akka.Persistence.Sql keeps the highest deleted event, marked, to remember the sequence number.
            await Eventually.TrueAsync(() => Count("dpr.db", "SELECT COUNT(*) FROM journal WHERE persistence_id = 'jobs-b' AND deleted = 0") == 0, "no event after the snapshot", Timeout);
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();

        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 10_000);
            Assert.True((await HeldAsync(intake)).SetEquals(open));
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Many_jobs_with_a_short_retention_keep_the_journal_index_blobs_and_results_bounded()
    {
        const int rounds = 12;
        const int jobsPerRound = 40;
        var blobs = new BlobStore(Path.Combine(_directory, "blobs"), _clock);
        using var results = new ResultStore(Path.Combine(_directory, "results"), Retention, _clock);
        var counts = new List<(long Rows, long Indexed, int Blobs, long Results)>();
        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 20);
            var sweeper = system.ActorOf(JobStorageSweeperActor.Props(intake, Index, blobs, results, _clock, Retention, Retention), "storage");
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < jobsPerRound; i++)
                {
                    // A distinct input per job, each in a blob of its own.
                    var input = Enumerable.Repeat((byte)i, 40).ToArray();
                    input[0] = (byte)round;
                    var request = JobIntakeActorTests.Request(h: 8) with { Input = input };
                    var id = await SubmitAsync(intake, request.Check().Offload(blobs, inlineLimit: 16));
                    await results.StoreAsync(new StoredResult(id, "conv3x3_int8", [1, 1, 8, 5], "requantized", "conv", _clock.GetUtcNow()), [1]);
                    intake.Tell(new JobCommands.RecordCompleted(id, "r", "conv"));
                }
                await SyncAsync(intake);
                await Eventually.TrueAsync(async () => (await HeldAsync(intake)).Count == 0, "the intake holds no finished job", Timeout);
                var swept = await sweeper.Ask<JobStorageSweeperActor.Swept>(JobStorageSweeperActor.Sweep.Instance, Timeout);
                Assert.Null(swept.Error);
                counts.Add((JournalRows(), Index.Count(), blobs.Count(), results.Count()));
                _clock.Advance(Retention * 2);
            }
            // Only the latest snapshot is kept.
            await Eventually.TrueAsync(() => Snapshots() == 1, $"{Snapshots()} snapshots kept", Timeout);
            await system.Terminate();
        }

        output.WriteLine($"{rounds * jobsPerRound} jobs, {rounds * jobsPerRound * 2} events; after each round (journal rows, index rows, blobs, results): {string.Join(" ", counts)}");
        // Each round's jobs go at the first sweep after the retention has passed them; the journal holds
        // what came after the last snapshot.
        Assert.All(counts, c => Assert.InRange(c.Rows, 0, 4 * jobsPerRound));
        Assert.All(counts, c => Assert.InRange(c.Indexed, 0, 2 * jobsPerRound));
        Assert.All(counts, c => Assert.InRange(c.Blobs, 0, 2 * jobsPerRound));
        Assert.All(counts, c => Assert.InRange(c.Results, 0, 2 * jobsPerRound));
    }

    /// <summary>How many jobs the latest snapshot of the intake holds (asked of the snapshot store, as recovery does).</summary>
    private static int LatestSnapshotJobs(ActorSystem system)
    {
        var store = Akka.Persistence.Persistence.Instance.Apply(system).SnapshotStoreFor(null);
        var loaded = store.Ask<LoadSnapshotResult>(new LoadSnapshot("jobs-b", SnapshotSelectionCriteria.Latest, long.MaxValue), Timeout).GetAwaiter().GetResult();
        return loaded.Snapshot?.Snapshot is IntakeSnapshot snapshot ? snapshot.Jobs.Length : -1;
    }

    /// <summary>Writes what the previous version would have, when asked: events, a snapshot of every job it knew, events after it; answers once they are stored.</summary>
    private sealed class PreviousVersion : ReceivePersistentActor
    {
        private IActorRef _asker = ActorRefs.Nobody;

        public PreviousVersion(IReadOnlyList<IJobEvent> before, IntakeSnapshot snapshot, IReadOnlyList<IJobEvent> after)
        {
            Command<string>(_ =>
            {
                _asker = Sender;
                PersistAll(before, e =>
                {
                    if (ReferenceEquals(e, before[^1]))
                    {
                        SaveSnapshot(snapshot);
                    }
                });
            });
            Command<SaveSnapshotSuccess>(_ => PersistAll(after, e =>
            {
                if (ReferenceEquals(e, after[^1]))
                {
                    _asker.Tell("written");
                }
            }));
        }

        public override string PersistenceId => "jobs-b";
    }

    public void Dispose()
    {
        _index?.Dispose();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
