using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Jobs;
using Dpr.Actors.Journal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>
/// The intake on the real SQLite journal: what a snapshot covers is deleted, recovery still finds every
/// job it should, and a long run with a short history holds a bounded number of rows, blobs and results.
/// </summary>
public sealed class IntakeStorageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan History = TimeSpan.FromHours(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-intake-storage-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    private JournalSettings Journal => JournalSettings.Sqlite(Path.Combine(_directory, "dpr.db"));

    private ActorSystem Start() => Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    private IActorRef Intake(ActorSystem system, int snapshotEvery, ICanTell? storage = null) =>
        system.ActorOf(JobIntakeActor.Props("b", new JobIntakeOptions(SnapshotEvery: snapshotEvery, HistoryKept: History), _clock, null, storage), "jobs-b");

    private static JobRequest Request(int seed) => JobIntakeActorTests.Request(h: 8, fill: (sbyte)(seed % 100)).Check();

    private static async Task<Guid> SubmitAsync(IActorRef intake, JobRequest request, bool @checked = true) =>
        Assert.IsType<JobReplies.Accepted>(await intake.Ask<object>(new JobCommands.Submit(request, @checked), Timeout)).JobId;

    private static Task SyncAsync(IActorRef intake) => intake.Ask<JobIntakeActor.Synced>(new JobIntakeActor.Sync(), Timeout);

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

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not within {Timeout.TotalSeconds} s: {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task After_the_journal_is_deleted_up_to_a_snapshot_a_restart_finds_every_open_and_kept_job()
    {
        var open = new List<Guid>();
        var kept = new List<Guid>();
        var forgotten = new List<Guid>();
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
                    forgotten.Add(id);
                }
                else
                {
                    open.Add(id);
                }
            }
            await SyncAsync(intake);
            _clock.Advance(History * 2);
            // Enough writes after the hour for another snapshot (at least as many events as jobs known).
            for (var i = 0; i < 40; i++)
            {
                var id = await SubmitAsync(intake, Request(100 + i));
                intake.Tell(new JobCommands.RecordStarted(id, "conv", "conv3x3_int8", 1));
                events += 2;
                if (i % 2 == 0)
                {
                    intake.Tell(new JobCommands.RecordFailed(id, "bad luck"));
                    events++;
                    kept.Add(id);
                }
                else
                {
                    open.Add(id);
                }
                await SyncAsync(intake);
            }
            await Eventually(() => JournalRows() < events / 2, $"the journal holds {JournalRows()} of {events} events");
            await Eventually(() => Snapshots() == 1, $"{Snapshots()} snapshots kept");
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();

        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 10);
            foreach (var id in open)
            {
                var status = Assert.IsType<JobReplies.JobStatus>(await intake.Ask<object>(new JobCommands.GetJob(id), Timeout));
                Assert.True(status.State is JobState.Queued or JobState.Running, $"{id} is {status.State}");
            }
            foreach (var id in kept)
            {
                var status = Assert.IsType<JobReplies.JobStatus>(await intake.Ask<object>(new JobCommands.GetJob(id), Timeout));
                Assert.Equal((JobState.Failed, "bad luck"), (status.State, status.Error));
            }
            foreach (var id in forgotten)
            {
                Assert.IsType<JobReplies.NotFound>(await intake.Ask<object>(new JobCommands.GetJob(id), Timeout));
            }
            var depths = await intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), Timeout);
            Assert.Equal(20, depths.Queued["conv3x3_int8"]);
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Many_jobs_with_a_short_history_keep_the_journal_blobs_and_results_bounded()
    {
        const int rounds = 12;
        const int jobsPerRound = 40;
        var blobs = new BlobStore(Path.Combine(_directory, "blobs"), _clock);
        using var results = new ResultStore(Path.Combine(_directory, "results"), History, _clock);
        var counts = new List<(long Rows, int Blobs, long Results)>();
        using (var system = Start())
        {
            var intake = Intake(system, snapshotEvery: 20, storage: system.ActorSelection("/user/storage"));
            system.ActorOf(JobStorageSweeperActor.Props(intake, blobs, results, _clock, History), "storage");
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
                // The sweeper deletes what a stored snapshot forgot off its own thread: bounded once it has.
                await Eventually(() => blobs.Count() <= 2 * jobsPerRound && results.Count() <= 2 * jobsPerRound, $"{blobs.Count()} blobs, {results.Count()} results after round {round}");
                counts.Add((JournalRows(), blobs.Count(), results.Count()));
                _clock.Advance(History * 2);
            }
            // Only the latest snapshot is kept.
            await Eventually(() => Snapshots() == 1, $"{Snapshots()} snapshots kept");
            await system.Terminate();
        }

        output.WriteLine($"{rounds * jobsPerRound} jobs, {rounds * jobsPerRound * 2} events; after each round (journal rows, blobs, results): {string.Join(" ", counts)}");
        // Each round's jobs are forgotten at the first snapshot after the history has passed them; the
        // journal holds what came after the last snapshot, which is spaced by the jobs known.
        Assert.All(counts, c => Assert.InRange(c.Rows, 0, 4 * jobsPerRound));
        Assert.All(counts, c => Assert.InRange(c.Blobs, 0, 2 * jobsPerRound));
        Assert.All(counts, c => Assert.InRange(c.Results, 0, 2 * jobsPerRound));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
