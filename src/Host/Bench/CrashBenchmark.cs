using System.CommandLine;
using Dpr.Actors.Regions;
using Dpr.Host.Regions;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench crash [--cycles N] [--seed N]</c>: the crash test's loop at any length. Starts
/// <c>dpr region-host</c> on one SQLite file, SIGKILLs it 20–500 ms after it is ready (while it swaps),
/// audits the journal after every kill, and finally starts it once more to a clean exit. The goal is
/// no problem at all: no gap in the sequence numbers, every event readable, every swap with an
/// outcome or a recovery reload, the partition Loaded at the end and every restart reloading once.
/// </summary>
public sealed class CrashBenchmark : IBenchmarkWithOptions
{
    private const int QuickCycles = 10;

    private const int FullCycles = 50;

    private readonly Option<int?> _cycles = new("--cycles") { Description = $"Kill cycles (default {FullCycles}, {QuickCycles} with --quick)." };

    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the kill times and module choices.", DefaultValueFactory = _ => 1 };

    public string Name => "crash";

    public string Description => "SIGKILL the region host at random points during swaps, restart it on the same SQLite journal, and audit the journal.";

    public IReadOnlyList<Option> Options => [_cycles, _seed];

    public BenchReport Run(bool quick, IAnsiConsole console) => Run(quick ? QuickCycles : FullCycles, 1, console);

    public BenchReport Run(bool quick, ParseResult parse, IAnsiConsole console) =>
        Run(parse.GetValue(_cycles) ?? (quick ? QuickCycles : FullCycles), parse.GetValue(_seed), console);

    private static BenchReport Run(int cycles, int seed, IAnsiConsole console)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-bench-crash-{Guid.NewGuid():N}");
        CrashTally tally;
        try
        {
            tally = new CrashLoop(directory, seed).Run(cycles, line => console.WriteLine(line));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        foreach (var problem in tally.Problems)
        {
            console.MarkupLineInterpolated($"[red]{problem}[/]");
        }
        const string interrupted = "recovery: the last swap has no outcome on record";
        var settled = tally.FinalExit == 0 && tally.FinalStatus == RegionStatus.Loaded;
        var row = new Dictionary<string, object?>
        {
            ["cycles"] = tally.Cycles,
            ["seed"] = seed,
            ["killed mid-swap"] = tally.KilledMidSwap,
            ["recovery reloads"] = tally.RecoveryReloads,
            ["of which interrupted swaps"] = tally.RecoveryReasons.GetValueOrDefault(interrupted),
            ["starts after swaps"] = tally.StartsAfterSwaps,
            ["swaps completed"] = tally.SwapsCompleted,
            ["events"] = tally.Events,
            ["problems (gaps, unreadable, no outcome)"] = tally.Problems.Count,
            ["final status"] = tally.FinalStatus.ToString(),
            ["seconds"] = Math.Round(tally.Elapsed.TotalSeconds, 1),
        };
        return new BenchReport("crash", MachineInfo.Current(), [row],
        [
            BenchGoal.AtMost("journal problems: gaps, unreadable events, swaps without an outcome", 0, tally.Problems.Count, "count"),
            BenchGoal.AtMost("restarts that did not reload exactly once", 0, Math.Abs(tally.StartsAfterSwaps - tally.RecoveryReloads), "count"),
            BenchGoal.AtMost("interrupted swaps not reloaded as such", 0, Math.Abs(tally.KilledMidSwap - tally.RecoveryReasons.GetValueOrDefault(interrupted)), "count"),
            BenchGoal.AtLeast("final start settled Loaded and exited cleanly", 1, settled ? 1 : 0, "yes=1"),
        ]);
    }
}
