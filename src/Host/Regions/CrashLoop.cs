using System.Diagnostics;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Regions;

/// <summary>
/// The crash test: start <c>dpr region-host</c> on one SQLite file, wait until it is ready, let it
/// swap for a random 20–500 ms, SIGKILL it, audit the journal; repeat; then start it once more to the
/// ready line and a clean exit, and audit the final journal. Shared by the test and <c>dpr bench crash</c>.
/// </summary>
internal sealed class CrashLoop(string dataDirectory, int seed)
{
    public const int MinRunMs = 20;

    public const int MaxRunMs = 500;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The region managers' journal (<c>JournalSettings.RegionsConnectionString</c>), where the swaps are.</summary>
    public string DatabasePath => Path.Combine(dataDirectory, "dpr.regions.db");

    /// <param name="progress">One line per cycle, for a console.</param>
    public CrashTally Run(int cycles, Action<string>? progress = null)
    {
        var random = new Random(seed);
        var problems = new List<string>();
        var killedMidSwap = 0;
        var startsAfterSwaps = 0;
        var swapsOnRecord = false;
        var clock = Stopwatch.StartNew();
        using var audit = new JournalAudit();
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var runFor = random.Next(MinRunMs, MaxRunMs + 1);
            startsAfterSwaps += swapsOnRecord ? 1 : 0;
            using (var host = RegionHostProcess.Start(dataDirectory, seed + cycle))
            {
                var ready = host.WaitReady(ReadyTimeout);
                Thread.Sleep(runFor);
                host.Kill();
                var after = audit.Audit(DatabasePath, SimulatedConvRegion.PersistenceId);
                problems.AddRange(after.Problems.Select(p => $"cycle {cycle}: {p}"));
                var midSwap = after.OpenSwap is not null;
                swapsOnRecord = after.Events.OfType<SwapStarted>().Any();
                killedMidSwap += midSwap ? 1 : 0;
                progress?.Invoke($"cycle {cycle}: {ready}; killed after {runFor} ms{(midSwap ? " mid-swap" : "")}, {after.Events.Count} events on record");
            }
        }

        startsAfterSwaps += swapsOnRecord ? 1 : 0;
        string finalReady;
        int finalExit;
        using (var host = RegionHostProcess.Start(dataDirectory, seed, swaps: 0))
        {
            finalReady = host.WaitReady(ReadyTimeout);
            finalExit = host.WaitForExit(ReadyTimeout);
        }
        var final = audit.Audit(DatabasePath, SimulatedConvRegion.PersistenceId);
        problems.AddRange(final.Problems.Select(p => $"final: {p}"));
        if (final.OpenSwap is { } open)
        {
            problems.Add($"final: swap {open.SwapId} ({open.Module}) has no outcome after a clean start and stop");
        }
        progress?.Invoke($"final: {finalReady}; exit {finalExit}, {final.Events.Count} events on record");
        return new CrashTally(
            cycles,
            killedMidSwap,
            startsAfterSwaps,
            final.Events.OfType<SwapStarted>().Count(s => s.Reason.StartsWith("recovery", StringComparison.Ordinal)),
            final.RecoveryReloads,
            final.Events.OfType<SwapCompleted>().Count(),
            final.Events.Count,
            finalReady,
            finalExit,
            problems,
            clock.Elapsed);
    }
}
