using System.Diagnostics;
using Akka.Actor;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Fabric.Ports;
using Dpr.Host.Regions;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench regions</c>: swaps per second through a region manager with the real journal, and the
/// time the service adds to each swap, on SQLite and on PostgreSQL (a temporary cluster) in one run.
/// The port only reports the modelled PCAP transfer and does not sleep, so the wall time from
/// <c>Ask(Load)</c> to the <c>Loaded</c> reply is all overhead: the actor hops (ask, drain of the
/// running module actor, the port task piped back), persisting <c>SwapStarted</c> and
/// <c>SwapCompleted</c> (each a journal round trip and commit), decouple, the simulated device's
/// in-memory frame write, recouple, driver binding, and starting the new module actor. Two modules
/// alternate, so every request is a real swap.
/// </summary>
public sealed class RegionsBenchmark : IBenchmark
{
    /// <summary>The goal: the service keeps the paper's millisecond-scale swaps (a 150 KB partial takes about 1 ms through PCAP).</summary>
    private const double SqliteP50GoalMs = 0.5;

    private const double SqliteP99GoalMs = 2.0;

    /// <summary>Durability may cost at most as much again as everything else the service does per swap.</summary>
    private const double MaxRatioToInMemory = 2.0;

    private const string TmpfsDirectory = "/dev/shm";

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A directory: each measured journal writes its per-swap times there (<c>swaps-1.csv</c>... in the order of the rows).</summary>
    public const string TraceVariable = "DPR_BENCH_REGIONS_TRACE";

    private static int _traces;

    public string Name => "regions";

    public string Description => "Swaps per second and the time the region manager adds per swap (journal, decouple, bind, actor hops), SQLite and PostgreSQL.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        // Long enough for the SQL journal's write path (linq2db, SQLite's caches) to reach its steady state: with 200
        // the first SQL row measured about 0.4 ms more than the same journal measured again right after.
        var warmup = quick ? 100 : 1500;
        var swaps = quick ? 300 : 3000;
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-bench-regions-{Guid.NewGuid():N}");
        var catalog = SimulatedConvRegion.LoadCatalog(Path.Combine(directory, "modules"));
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        Swaps? sqlite = null;
        Swaps? inMemory = null;
        try
        {
            console.WriteLine("in-memory journal (baseline: no durability)...");
            inMemory = Measure(InMemory, new RegionOptions(), catalog, warmup, swaps);
            rows.Add(inMemory.Row("in memory (baseline, not durable)"));

            console.WriteLine("SQLite (the regions journal: WAL, synchronous NORMAL, kept-open insert)...");
            sqlite = Measure(JournalSettings.Sqlite(Path.Combine(directory, "dpr.db")), catalog, warmup, swaps);
            rows.Add(sqlite.Row("SQLite file (WAL)"));

            // As in dpr serve: every write also takes its turn with the SEM controller (idle it over its UART, write, resume).
            console.WriteLine("SQLite, every write in a SEM turn (simulated UART)...");
            rows.Add(Measure(JournalSettings.Sqlite(Path.Combine(directory, "sem", "dpr.db")), catalog, warmup, swaps, semTurns: true).Row("SQLite file (WAL), with the SEM turn"));
            rows.Add(Recheck(catalog, swaps));

            // Diagnostic, not a configuration: without the snapshot (and the deletions after it) every 100 events,
            // so this row against the file row shows what they add to the tail.
            console.WriteLine("SQLite, no snapshots (diagnostic)...");
            rows.Add(Measure(JournalSettings.Sqlite(Path.Combine(directory, "nosnap", "dpr.db")), catalog, warmup, swaps, snapshotEvery: int.MaxValue).Row("SQLite file (WAL), no snapshots (diagnostic)"));

            if (Directory.Exists(TmpfsDirectory))
            {
                // Diagnostic, not a configuration: tmpfs makes fsync free, so this row minus the one above is what durability costs.
                console.WriteLine($"SQLite on tmpfs ({TmpfsDirectory}: fsync is free, not durable)...");
                var tmpfs = Path.Combine(TmpfsDirectory, $"dpr-bench-regions-{Guid.NewGuid():N}.db");
                try
                {
                    rows.Add(Measure(JournalSettings.Sqlite(tmpfs), catalog, warmup, swaps).Row("SQLite on tmpfs (diagnostic: no fsync cost)"));
                }
                finally
                {
                    SqliteConnection.ClearAllPools();
                    foreach (var file in Directory.GetFiles(TmpfsDirectory, Path.GetFileNameWithoutExtension(tmpfs) + "*"))
                    {
                        File.Delete(file);
                    }
                }
            }

            console.WriteLine("PostgreSQL 15 (temporary cluster)...");
            try
            {
                using var cluster = TemporaryPostgresCluster.Start();
                rows.Add(Measure(cluster.Journal, catalog, warmup, swaps).Row("PostgreSQL 15 (local, TCP)"));
            }
            catch (PostgresClusterException e)
            {
                console.MarkupLineInterpolated($"[red]PostgreSQL not measured: {e.Message}[/]");
                rows.Add(new Dictionary<string, object?> { ["journal"] = "PostgreSQL 15", ["note"] = $"not measured: {e.Message}" });
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        return new BenchReport(Name, MachineInfo.Current(), rows,
        [
            BenchGoal.AtMost("service overhead per swap, p50, SQLite", SqliteP50GoalMs, Math.Round(sqlite!.Percentile(0.5), 3), "ms"),
            BenchGoal.AtMost("service overhead per swap, p99, SQLite", SqliteP99GoalMs, Math.Round(sqlite.Percentile(0.99), 3), "ms"),
            BenchGoal.AtMost("SQLite p50 / in-memory p50, same run", MaxRatioToInMemory, Math.Round(sqlite.Percentile(0.5) / inMemory!.Percentile(0.5), 2), "x"),
        ]);
    }

    /// <summary>
    /// What the module recheck before each swap costs when the files are unchanged (the actor's path: two
    /// <c>stat</c> calls against the stamps of the last check that passed), timed call by call.
    /// </summary>
    private static Dictionary<string, object?> Recheck(Fabric.Modules.ModuleCatalog catalog, int count)
    {
        var module = catalog.Modules[0];
        if (catalog.Recheck(module) is { } problem)
        {
            throw new InvalidOperationException($"the benchmark's catalog fails its recheck: {problem.Message}");
        }
        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            if (!catalog.PassesUnread(module))
            {
                throw new InvalidOperationException($"{module.Name} changed during the benchmark");
            }
            samples[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(samples);
        var times = new Swaps(samples, TimeSpan.Zero, 0);
        return new Dictionary<string, object?>
        {
            ["journal"] = "module recheck alone (unchanged files: two stat calls)",
            ["swaps"] = count,
            ["overhead p50 ms"] = Math.Round(times.Percentile(0.5), 4),
            ["overhead p99 ms"] = Math.Round(times.Percentile(0.99), 4),
            ["overhead max ms"] = Math.Round(samples[^1], 3),
        };
    }

    private static Swaps Measure(JournalSettings journal, Fabric.Modules.ModuleCatalog catalog, int warmup, int count, bool semTurns = false, int? snapshotEvery = null) =>
        Measure(
            () => SimulatedConvRegion.StartSystem("dpr-bench-regions", journal),
            SimulatedConvRegion.JournaledOptions with { SnapshotEvery = snapshotEvery ?? SimulatedConvRegion.JournaledOptions.SnapshotEvery },
            catalog, warmup, count, semTurns);

    private static Swaps Measure(Func<ActorSystem> start, RegionOptions options, Fabric.Modules.ModuleCatalog catalog, int warmup, int count, bool semTurns = false)
    {
        var region = new SimulatedConvRegion(catalog, realTime: false, semTurns);
        var idleWaits = new List<double>();
        if (region.Turns is { } turns)
        {
            turns.TurnTaken += turn => idleWaits.Add(turn.IdleWait.TotalMilliseconds);
        }
        var modules = region.Modules.Take(2).ToArray();
        using var system = start();
        var manager = system.ActorOf(region.Props(options), SimulatedConvRegion.PersistenceId);
        for (var i = 0; i < warmup; i++)
        {
            Load(manager, modules[i % 2]);
        }
        var traceDirectory = Environment.GetEnvironmentVariable(TraceVariable);
        using var sampler = traceDirectory is null ? null : new AllocationSampler();
        var samples = new double[count];
        var collections = new int[count];
        var (allocated, gen0) = (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0));
        var total = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var before = GC.CollectionCount(0);
            var clock = Stopwatch.StartNew();
            Load(manager, modules[i % 2]);
            samples[i] = clock.Elapsed.TotalMilliseconds;
            collections[i] = GC.CollectionCount(0) - before;
        }
        var elapsed = total.Elapsed;
        (allocated, gen0) = (GC.GetTotalAllocatedBytes(precise: true) - allocated, GC.CollectionCount(0) - gen0);
        if (traceDirectory is not null)
        {
            // One line per timed swap, in order: which swaps are slow, and whether a collection ran in them.
            File.WriteAllLines(Path.Combine(traceDirectory, $"swaps-{Interlocked.Increment(ref _traces)}.csv"), ["swap,ms,gen0 collections", .. samples.Select((ms, i) => $"{i},{ms:F3},{collections[i]}")]);
            // From warm-up to the end: which types the swaps allocate.
            File.WriteAllLines(Path.Combine(traceDirectory, $"allocations-{_traces}.txt"), sampler!.Top(25).Select(t => $"{t.Bytes / 1024,10} KB  {t.Type}"));
        }
        system.Terminate().Wait();
        var transfer = modules.Average(m => SimulatedPortOptions.Pcap.TransferTime(catalog.Find(m)!.Image.Payload.Length).TotalMilliseconds);
        Array.Sort(samples);
        var timedWaits = idleWaits.Skip(warmup).Order().ToArray();
        return new Swaps(samples, elapsed, transfer) { AllocatedBytes = allocated, Gen0Collections = gen0, SemIdleWaitP50Ms = timedWaits.Length > 0 ? timedWaits[timedWaits.Length / 2] : null };
    }

    /// <summary>Akka's in-memory journal and snapshot store: everything but the database, for comparison.</summary>
    private static ActorSystem InMemory() => ActorSystem.Create("dpr-bench-regions", Akka.Configuration.ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        {{Actors.Serialization.DprSerializer.Hocon}}
        """));

    private static void Load(IActorRef manager, string module)
    {
        var reply = manager.Ask<IRegionReply>(new RegionCommands.Load(module), AskTimeout).GetAwaiter().GetResult();
        if (reply is not RegionReplies.Loaded { Hit: false })
        {
            throw new InvalidOperationException($"expected a swap to {module}, got {reply}");
        }
    }

    private sealed record Swaps(double[] SortedMs, TimeSpan Elapsed, double ModelledTransferMs)
    {
        /// <summary>Bytes allocated in the process during the timed swaps (the actors, the journal, the simulated board).</summary>
        public long AllocatedBytes { get; init; }

        /// <summary>Garbage collections (all generations count as gen0 ones) during the timed swaps.</summary>
        public int Gen0Collections { get; init; }

        /// <summary>With SEM turns: the median time from the idle command to the controller's idle report (part of the overhead).</summary>
        public double? SemIdleWaitP50Ms { get; init; }

        public double Percentile(double p) => SortedMs[Math.Min(SortedMs.Length - 1, (int)Math.Floor(p * SortedMs.Length))];

        public Dictionary<string, object?> Row(string journal) => new()
        {
            ["journal"] = journal,
            ["swaps"] = SortedMs.Length,
            ["swaps/s"] = Math.Round(SortedMs.Length / Elapsed.TotalSeconds, 0),
            ["overhead p50 ms"] = Math.Round(Percentile(0.5), 3),
            ["overhead p99 ms"] = Math.Round(Percentile(0.99), 3),
            ["overhead max ms"] = Math.Round(SortedMs[^1], 3),
            ["allocated KB per swap"] = SortedMs.Length > 0 ? Math.Round(AllocatedBytes / 1024.0 / SortedMs.Length, 1) : null,
            ["GCs"] = Gen0Collections,
            ["modelled PCAP transfer ms (not slept)"] = Math.Round(ModelledTransferMs, 3),
            ["SEM idle wait p50 ms"] = SemIdleWaitP50Ms is { } wait ? Math.Round(wait, 3) : null,
        };
    }
}
