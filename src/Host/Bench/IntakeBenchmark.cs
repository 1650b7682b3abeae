using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Jobs;
using Dpr.Actors.Journal;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench intake</c>: jobs acknowledged per second by the durable intake, in process, with the
/// real journal: every acknowledgement follows the stored <c>JobAccepted</c>. Tiny jobs (a 3x3 int8
/// over an 8x8 image), many submitters in flight, SQLite and PostgreSQL (a temporary local cluster) in
/// one run. Goal (issue 7): 20,000 per second on SQLite.
/// </summary>
public sealed class IntakeBenchmark : IBenchmark
{
    private const double GoalPerSecond = 20_000;

    public string Name => "intake";

    public string Description => "Durable job intake: jobs acknowledged per second with the SQLite journal.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        var jobs = quick ? 20_000 : 100_000;
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-bench-intake-{Guid.NewGuid():N}");
        try
        {
            console.MarkupLineInterpolated($"submitting [bold]{jobs:N0}[/] jobs to the intake over SQLite...");
            var sqlite = Measure(JournalSettings.Sqlite(Path.Combine(directory, "dpr.db")), jobs);
            var rows = new List<IReadOnlyDictionary<string, object?>> { Row("SQLite (WAL, fsync per commit)", jobs, sqlite) };
            console.MarkupLineInterpolated($"submitting [bold]{jobs:N0}[/] jobs to the intake over PostgreSQL 15 (temporary cluster)...");
            try
            {
                using var cluster = TemporaryPostgresCluster.Start();
                rows.Add(Row("PostgreSQL 15 (local, TCP)", jobs, Measure(cluster.Journal, jobs)));
            }
            catch (PostgresClusterException e)
            {
                rows.Add(new Dictionary<string, object?> { ["journal"] = "PostgreSQL 15", ["note"] = $"not measured: {e.Message}" });
            }
            return new BenchReport("intake", MachineInfo.Current(), rows, [BenchGoal.AtLeast("durable intake on SQLite", GoalPerSecond, Math.Round(sqlite.Rate), "jobs/s")]);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static Dictionary<string, object?> Row(string journal, int jobs, (double Rate, double P50, double P99) m) => new()
    {
        ["journal"] = journal,
        ["jobs"] = jobs,
        ["acknowledged/s"] = Math.Round(m.Rate),
        ["ack p50 ms"] = Math.Round(m.P50, 3),
        ["ack p99 ms"] = Math.Round(m.P99, 3),
    };

    private static (double Rate, double P50, double P99) Measure(JournalSettings journal, int jobs)
    {
        using var system = journal.CreateSystem("dpr-bench-intake", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var intake = system.ActorOf(JobIntakeActor.Props("bench", new JobIntakeOptions(MaxOpenJobs: jobs * 2, MaxOpenJobsPerTenant: jobs * 2), TimeProvider.System, null));
        var request = new JobRequest("tenant", "conv3x3_int8", 1, "same", 0, "requantized", [1, 1, 8, 8], new byte[64], [1, 1, 3, 3], new byte[9]);
        // Warm the journal (tables created, connections open) before timing.
        intake.Ask<JobReplies.Accepted>(new JobCommands.Submit(request), TimeSpan.FromSeconds(30)).Wait();

        const int inFlight = 512;
        var latencies = new double[jobs];
        var next = -1;
        var clock = Stopwatch.StartNew();
        Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < jobs)
            {
                var start = Stopwatch.GetTimestamp();
                var reply = await intake.Ask<object>(new JobCommands.Submit(request), TimeSpan.FromSeconds(60));
                if (reply is not JobReplies.Accepted)
                {
                    throw new InvalidOperationException($"job {i} was not accepted: {reply}");
                }
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })).Wait();
        var elapsed = clock.Elapsed;
        system.Terminate().Wait();
        Array.Sort(latencies);
        return (jobs / elapsed.TotalSeconds, latencies[jobs / 2], latencies[(int)(jobs * 0.99)]);
    }
}
