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

    /// <summary>Warm-up past the minimum goes in rounds of this many swaps (even: the two modules alternate).</summary>
    private const int WarmUpRound = 500;

    /// <summary>A warm-up round in which the JIT compiled at most this many methods ends the warm-up.</summary>
    private const int QuietJitMethods = 10;

    private const int MaxWarmUpFactor = 10;

    /// <summary>A directory: each measured journal writes its per-swap times there (<c>swaps-1.csv</c>... in the order of the rows).</summary>
    public const string TraceVariable = "DPR_BENCH_REGIONS_TRACE";

    private static int _traces;

    public string Name => "regions";

    public string Description => "Swaps per second and the time the region manager adds per swap (journal, decouple, bind, actor hops), SQLite and PostgreSQL.";

    public BenchReport Run(bool quick, IAnsiConsole console)
    {
        // At least this many, then until the JIT is quiet (WarmUp): with 200 the first SQL row measured about 0.4 ms more
        // than the same journal measured again right after; with 1,500 alone still 0.1-0.2 ms more (session 12).
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

            // Diagnostic, not a configuration: what the disk alone costs for the same commits, without Akka.
            console.WriteLine("SQLite alone: the same rows committed on a kept-open connection, no Akka (the disk's floor)...");
            rows.Add(Floor(JournalSettings.Sqlite(Path.Combine(directory, "dpr.db")).RegionsConnectionString, warmup, swaps).Row("SQLite alone, no Akka (floor: 2 commits per swap, same rows and checkpoints)"));

            // As in dpr serve: every write also takes its turn with the SEM controller (idle it over its UART, write, resume).
            console.WriteLine("SQLite, every write in a SEM turn (simulated UART)...");
            rows.Add(Measure(JournalSettings.Sqlite(Path.Combine(directory, "sem", "dpr.db")), catalog, warmup, swaps, semTurns: true).Row("SQLite file (WAL), with the SEM turn"));
            rows.Add(Recheck(catalog, swaps));

            // Diagnostic, not a configuration: without the snapshot (and the deletions after it) every 100 events,
            // so this row against the file row shows what they add to the tail.
            console.WriteLine("SQLite, no snapshots (diagnostic)...");
            rows.Add(Measure(JournalSettings.Sqlite(Path.Combine(directory, "nosnap", "dpr.db")), catalog, warmup, swaps, snapshotEvery: int.MaxValue).Row("SQLite file (WAL), no snapshots (diagnostic)"));

            // Diagnostic, not a configuration: the same snapshots into Akka's in-memory snapshot store, so this row
            // against the file row shows what storing them in SQLite adds, and the one above what taking them does.
            console.WriteLine("SQLite, snapshots in memory (diagnostic)...");
            rows.Add(Measure(JournalSettings.Sqlite(Path.Combine(directory, "memsnap", "dpr.db")), catalog, warmup, swaps, snapshotsInMemory: true).Row("SQLite file (WAL), snapshots in memory (diagnostic)"));

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

    private static Swaps Measure(JournalSettings journal, Fabric.Modules.ModuleCatalog catalog, int warmup, int count, bool semTurns = false, int? snapshotEvery = null, bool snapshotsInMemory = false) =>
        Measure(
            () => snapshotsInMemory
                ? journal.CreateSystem("dpr-bench-regions", Akka.Configuration.ConfigurationFactory.ParseString($"akka.loglevel = WARNING\n{JournalSettings.RegionsSnapshots}.class = \"{typeof(Akka.Persistence.Snapshot.MemorySnapshotStore).AssemblyQualifiedName}\""))
                : SimulatedConvRegion.StartSystem("dpr-bench-regions", journal),
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
        warmup = WarmUp(warmup, i => Load(manager, modules[i % 2]));
        // Each checkpoint cycle runs right after an insert: the journal's insert count says in which swap (two per swap).
        var checkpointedAt = new System.Collections.Concurrent.ConcurrentQueue<long>();
        // Each stored snapshot, with when the region manager heard of it (SaveSnapshotSuccess).
        var snapshotted = new System.Collections.Concurrent.ConcurrentQueue<(long SequenceNr, long At)>();
        var listener = system.ActorOf(Props.Create(() => new JournalListener(checkpointedAt, snapshotted)));
        system.EventStream.Subscribe(listener, typeof(Actors.Observed.JournalCheckpointed));
        system.EventStream.Subscribe(listener, typeof(Actors.Observed.RegionSnapshotted));
        var traceDirectory = Environment.GetEnvironmentVariable(TraceVariable);
        using var sampler = traceDirectory is null ? null : new AllocationSampler();
        var timed = Timed(count, i => Load(manager, modules[i % 2]));
        // Every checkpoint of the loop was published before its swap's reply, so it is in the listener's mailbox ahead of this ask.
        listener.Ask<bool>(true, AskTimeout).GetAwaiter().GetResult();
        system.EventStream.Unsubscribe(listener);
        foreach (var inserts in checkpointedAt)
        {
            var swap = ((inserts - 1) / 2) - warmup;
            if (swap >= 0 && swap < count)
            {
                timed.Checkpoints[swap]++;
            }
        }
        timed.Snapshotted(snapshotted, warmup);
        timed.Trace(traceDirectory, sampler);
        system.Terminate().Wait();
        var transfer = modules.Average(m => SimulatedPortOptions.Pcap.TransferTime(catalog.Find(m)!.Image.Payload.Length).TotalMilliseconds);
        var timedWaits = idleWaits.Skip(warmup).Order().ToArray();
        return timed.Swaps(transfer) with { SemIdleWaitP50Ms = timedWaits.Length > 0 ? timedWaits[timedWaits.Length / 2] : null, WarmUpSwaps = warmup };
    }

    /// <summary>
    /// Runs <paramref name="minimum"/> swaps, then rounds of <see cref="WarmUpRound"/> until one in which the JIT compiled
    /// at most <see cref="QuietJitMethods"/> methods (up to <see cref="MaxWarmUpFactor"/> times the minimum), and returns
    /// how many it ran: an even number (the minimum must be), so that the timed loop's first swap is a real one. Why: tiered compilation
    /// recompiles the hot path in the background after a delay that new compilations keep pushing back; after 1,500
    /// swaps the first SQLite row of a process still had about 2,300 methods recompiled during its timed loop (none of
    /// the later rows more than 20), and its p50 was 0.1-0.2 ms above the same row measured again right after it.
    /// </summary>
    private static int WarmUp(int minimum, Action<int> swap)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(minimum % 2, 0, nameof(minimum));
        var swaps = 0;
        for (; swaps < minimum; swaps++)
        {
            swap(swaps);
        }
        while (swaps < minimum * MaxWarmUpFactor)
        {
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            for (var end = swaps + WarmUpRound; swaps < end; swaps++)
            {
                swap(swaps);
            }
            if (System.Runtime.JitInfo.GetCompiledMethodCount() - compiled <= QuietJitMethods)
            {
                break;
            }
        }
        return swaps;
    }

    /// <summary>
    /// The disk's floor for the regions journal, without Akka: the two rows of the last swap the SQLite row stored
    /// (same size, same table and indexes) inserted again under new sequence numbers, one transaction per row and two
    /// per swap, on a kept-open connection with the journal's regime (<see cref="RegionsWal"/>: no fsync per commit, a
    /// checkpoint cycle right after the commit that takes the WAL to the hard bound, as in a run without idle moments).
    /// </summary>
    private static Swaps Floor(string connectionString, int warmup, int count)
    {
        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        RegionsWal.Configure(connection);
        var rows = new List<object[]>();
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT persistence_id, message, manifest, identifier, writer_uuid FROM journal ORDER BY ordering DESC LIMIT 2;";
            using var result = read.ExecuteReader();
            while (result.Read())
            {
                var row = new object[result.FieldCount];
                result.GetValues(row);
                // Its own persistence id: the sequence numbers start over.
                row[0] = $"{row[0]}-floor";
                rows.Add(row);
            }
        }
        using var begin = new SqliteStatement(connection, "BEGIN IMMEDIATE;");
        using var insert = new SqliteStatement(connection, "INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid) VALUES ($created, 0, $pid, $seq, $message, $manifest, $identifier, $writer);");
        using var commit = new SqliteStatement(connection, "COMMIT;");
        var pages = RegionsWal.PagesWritten(connection);
        var sequenceNr = 0L;
        var checkpoints = 0L;
        void Swap(int _)
        {
            foreach (var row in rows)
            {
                begin.Run();
                insert.Bind(1, DateTime.UtcNow.Ticks);
                insert.Bind(2, (string)row[0]);
                insert.Bind(3, ++sequenceNr);
                insert.Bind(4, (byte[])row[1]);
                insert.Bind(5, (string)row[2]);
                insert.Bind(6, row[3] is DBNull ? null : (long?)(long)row[3]);
                insert.Bind(7, row[4] as string);
                insert.Run();
                commit.Run();
                pages += RegionsWal.PagesWritten(connection);
                if (pages >= RegionsWal.HardBoundPages)
                {
                    pages = RegionsWal.Checkpoint(connection).WalPages;
                    checkpoints++;
                }
            }
        }
        for (var i = 0; i < warmup; i++)
        {
            Swap(i);
        }
        var traceDirectory = Environment.GetEnvironmentVariable(TraceVariable);
        using var sampler = traceDirectory is null ? null : new AllocationSampler();
        var before = checkpoints;
        var timed = Timed(count, i =>
        {
            before = checkpoints;
            Swap(i);
        }, i => checkpoints - before);
        timed.Trace(traceDirectory, sampler);
        return timed.Swaps(0) with { WarmUpSwaps = warmup };
    }

    /// <summary>
    /// Runs <paramref name="count"/> swaps one after another and times each, with the collections in it and, when
    /// <paramref name="checkpointsIn"/> is given, the journal checkpoints in it (called right after the swap).
    /// </summary>
    private static TimedSwaps Timed(int count, Action<int> swap, Func<int, long>? checkpointsIn = null)
    {
        var timed = new TimedSwaps(new double[count], new int[count], new int[count], new long[count], new bool[count]);
        var (allocated, gen0) = (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0));
        var total = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var before = GC.CollectionCount(0);
            var clock = Stopwatch.GetTimestamp();
            swap(i);
            timed.Ends[i] = Stopwatch.GetTimestamp();
            timed.Ms[i] = Stopwatch.GetElapsedTime(clock, timed.Ends[i]).TotalMilliseconds;
            timed.Collections[i] = GC.CollectionCount(0) - before;
            timed.Checkpoints[i] = checkpointsIn is null ? 0 : (int)checkpointsIn(i);
        }
        timed.Elapsed = total.Elapsed;
        (timed.AllocatedBytes, timed.Gen0Collections) = (GC.GetTotalAllocatedBytes(precise: true) - allocated, GC.CollectionCount(0) - gen0);
        return timed;
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

    /// <summary>One timed loop, swap by swap, in order.</summary>
    /// <summary>
    /// One timed loop, swap by swap, in order: times, collections, checkpoint cycles, when each swap's reply came
    /// (<paramref name="Ends"/>, <see cref="Stopwatch"/> ticks), and whether a snapshot was being stored during it.
    /// </summary>
    private sealed record TimedSwaps(double[] Ms, int[] Collections, int[] Checkpoints, long[] Ends, bool[] Snapshotting)
    {
        public TimeSpan Elapsed { get; set; }

        /// <summary>How long after the reply of the swap that took it each snapshot was stored (SaveSnapshotSuccess), ms, sorted.</summary>
        public double[] SnapshotSaves { get; private set; } = [];

        /// <summary>
        /// Marks the swaps a snapshot was stored during: a region manager saves one right after the <c>SwapCompleted</c>
        /// whose sequence number it has (two events per swap, so swap <c>(n - 1) / 2</c> counted from the first), until the
        /// swap in which its success came, and the next one, where the deletion of the older snapshots runs.
        /// </summary>
        public void Snapshotted(IEnumerable<(long SequenceNr, long At)> snapshots, int warmup)
        {
            var saves = new List<double>();
            foreach (var (sequenceNr, at) in snapshots)
            {
                var taken = (int)((sequenceNr - 1) / 2) - warmup;
                if (taken < 0 || taken >= Ms.Length)
                {
                    continue;
                }
                saves.Add(Stopwatch.GetElapsedTime(Ends[taken], at).TotalMilliseconds);
                var stored = taken;
                while (stored + 1 < Ms.Length && Ends[stored] < at)
                {
                    stored++;
                }
                for (var i = taken; i <= Math.Min(Ms.Length - 1, stored + 1); i++)
                {
                    Snapshotting[i] = true;
                }
            }
            SnapshotSaves = [.. saves.Order()];
        }

        public long AllocatedBytes { get; set; }

        public int Gen0Collections { get; set; }

        /// <summary>With a trace directory: every swap's time, collections and checkpoints (<c>swaps-n.csv</c>), and the sampled allocations by type.</summary>
        public void Trace(string? directory, AllocationSampler? sampler)
        {
            if (directory is null)
            {
                return;
            }
            File.WriteAllLines(Path.Combine(directory, $"swaps-{Interlocked.Increment(ref _traces)}.csv"), ["swap,ms,gen0 collections,checkpoints,snapshot", .. Ms.Select((ms, i) => $"{i},{ms:F3},{Collections[i]},{Checkpoints[i]},{(Snapshotting[i] ? 1 : 0)}")]);
            File.WriteAllLines(Path.Combine(directory, $"allocations-{_traces}.txt"), sampler!.Top(40).Select(t => $"{t.Bytes / 1024,10} KB  {t.Type}"));
        }

        public Swaps Swaps(double modelledTransferMs)
        {
            // The slowest 1%: the swaps ranked at and above the p99 (Swaps.Percentile's rank).
            var slowest = Enumerable.Range(0, Ms.Length).OrderByDescending(i => Ms[i]).Take(Ms.Length - (int)Math.Floor(0.99 * Ms.Length)).ToList();
            var (gc, checkpoint, neither) = (slowest.Count(i => Collections[i] > 0), slowest.Count(i => Checkpoints[i] > 0), slowest.Count(i => Collections[i] == 0 && Checkpoints[i] == 0));
            // What a checkpoint cycle costs a swap, and the p99 the swaps would have without them.
            double[] cycles = [.. Enumerable.Range(0, Ms.Length).Where(i => Checkpoints[i] > 0).Select(i => Ms[i]).Order()];
            var rest = new Swaps([.. Enumerable.Range(0, Ms.Length).Where(i => Checkpoints[i] == 0).Select(i => Ms[i]).Order()], Elapsed, modelledTransferMs);
            return new Swaps([.. Ms.Order()], Elapsed, modelledTransferMs)
            {
                AllocatedBytes = AllocatedBytes,
                Gen0Collections = Gen0Collections,
                Checkpoints = cycles.Length,
                CheckpointSwapP50Ms = cycles.Length > 0 ? cycles[cycles.Length / 2] : null,
                P99WithoutCheckpointsMs = cycles.Length > 0 && rest.SortedMs.Length > 0 ? rest.Percentile(0.99) : null,
                SlowestCauses = $"{gc} / {checkpoint} / {neither} of {slowest.Count}",
                Snapshots = SnapshotSaves.Length,
                SnapshotSaveMs = SnapshotSaves.Length > 0 ? (SnapshotSaves[SnapshotSaves.Length / 2], SnapshotSaves[^1]) : null,
                SlowestWhileSnapshotting = $"{slowest.Count(i => Snapshotting[i])} ({slowest.Count(i => Snapshotting[i] && Checkpoints[i] == 0)} without a checkpoint) of {slowest.Count}",
            };
        }
    }

    /// <summary>Records the journal's checkpoint cycles (the insert count each happened at) and the stored snapshots (when).</summary>
    private sealed class JournalListener : ReceiveActor
    {
        public JournalListener(System.Collections.Concurrent.ConcurrentQueue<long> inserts, System.Collections.Concurrent.ConcurrentQueue<(long, long)> snapshots)
        {
            Receive<Actors.Observed.JournalCheckpointed>(c => inserts.Enqueue(c.Inserts));
            Receive<Actors.Observed.RegionSnapshotted>(s => snapshots.Enqueue((s.SequenceNr, Stopwatch.GetTimestamp())));
            // The flush: answered after every event ahead of it.
            Receive<bool>(b => Sender.Tell(b));
        }
    }

    private sealed record Swaps(double[] SortedMs, TimeSpan Elapsed, double ModelledTransferMs)
    {
        /// <summary>Bytes allocated in the process during the timed swaps (the actors, the journal, the simulated board).</summary>
        public long AllocatedBytes { get; init; }

        /// <summary>Garbage collections (all generations count as gen0 ones) during the timed swaps.</summary>
        public int Gen0Collections { get; init; }

        /// <summary>Journal checkpoint cycles during the timed swaps (SQLite only).</summary>
        public int Checkpoints { get; init; }

        /// <summary>The median time of the swaps a checkpoint cycle ran in.</summary>
        public double? CheckpointSwapP50Ms { get; init; }

        /// <summary>The p99 of the swaps no checkpoint cycle ran in.</summary>
        public double? P99WithoutCheckpointsMs { get; init; }

        /// <summary>Of the slowest 1% of the swaps (those at and above the p99), how many had a collection, a checkpoint (or both, counted in each), neither.</summary>
        public string? SlowestCauses { get; init; }

        /// <summary>Snapshots stored during the timed swaps.</summary>
        public int Snapshots { get; init; }

        /// <summary>How long after its swap's reply a snapshot was stored: median and slowest, ms.</summary>
        public (double P50, double Max)? SnapshotSaveMs { get; init; }

        /// <summary>Of the slowest 1%, how many ran while a snapshot was stored (<see cref="TimedSwaps.Snapshotted"/>).</summary>
        public string? SlowestWhileSnapshotting { get; init; }

        /// <summary>Swaps run before the timed ones (<see cref="WarmUp"/>).</summary>
        public int WarmUpSwaps { get; init; }

        /// <summary>With SEM turns: the median time from the idle command to the controller's idle report (part of the overhead).</summary>
        public double? SemIdleWaitP50Ms { get; init; }

        public double Percentile(double p) => SortedMs[Math.Min(SortedMs.Length - 1, (int)Math.Floor(p * SortedMs.Length))];

        public Dictionary<string, object?> Row(string journal) => new()
        {
            ["journal"] = journal,
            ["swaps"] = SortedMs.Length,
            ["warm-up swaps"] = WarmUpSwaps,
            ["swaps/s"] = Math.Round(SortedMs.Length / Elapsed.TotalSeconds, 0),
            ["overhead p50 ms"] = Math.Round(Percentile(0.5), 3),
            ["overhead p99 ms"] = Math.Round(Percentile(0.99), 3),
            ["overhead max ms"] = Math.Round(SortedMs[^1], 3),
            ["allocated KB per swap"] = SortedMs.Length > 0 ? Math.Round(AllocatedBytes / 1024.0 / SortedMs.Length, 1) : null,
            ["GCs"] = Gen0Collections,
            ["checkpoints"] = Checkpoints,
            ["swaps with a checkpoint, p50 ms"] = CheckpointSwapP50Ms is { } cycle ? Math.Round(cycle, 3) : null,
            ["p99 of the swaps without one ms"] = P99WithoutCheckpointsMs is { } rest ? Math.Round(rest, 3) : null,
            ["slowest 1%: with a GC / a checkpoint / neither"] = SlowestCauses,
            ["snapshots"] = Snapshots,
            ["snapshot stored after, p50 / max ms"] = SnapshotSaveMs is { } save ? $"{save.P50:F3} / {save.Max:F3}" : null,
            ["slowest 1% while a snapshot is stored"] = Snapshots > 0 ? SlowestWhileSnapshotting : null,
            ["modelled PCAP transfer ms (not slept)"] = Math.Round(ModelledTransferMs, 3),
            ["SEM idle wait p50 ms"] = SemIdleWaitP50Ms is { } wait ? Math.Round(wait, 3) : null,
        };
    }
}
