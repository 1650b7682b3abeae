using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Host.Cli;

namespace Dpr.Host.Regions;

/// <summary>
/// <c>dpr region-host --data DIR [--seed N] [--swaps N]</c> (hidden): a test host for the crash test.
/// One region manager for the simulated pynq-z2's "conv" partition, journaled to DIR/dpr.db, its
/// port sleeping for the modelled PCAP transfer so a kill lands mid-swap often. It prints
/// <c>ready ...</c> once recovery has settled, then swaps to random modules (seeded), one line each,
/// until killed or until --swaps requests were answered.
/// </summary>
public static class RegionHostCommand
{
    public const string ReadyPrefix = "ready ";

    public const string NotReadyPrefix = "not-ready ";

    /// <summary>Exit code when recovery did not settle within <see cref="SettleTimeout"/>.</summary>
    public const int NotSettled = 3;

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Directory of the journal (dpr.db) and the synthetic module catalog (modules/).", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the module choices.", DefaultValueFactory = _ => 1 };
        var swaps = new Option<int?>("--swaps") { Description = "Stop after this many requests (default: run until killed)." };
        var command = new Command("region-host", "Test host: a journaled region manager swapping random modules until killed.") { data, seed, swaps };
        command.Hidden = true;
        CliAction.Set(command, (parse, output) => Run(parse.GetValue(data)!.FullName, parse.GetValue(seed), parse.GetValue(swaps), output));
        return command;
    }

    private static int Run(string directory, int seed, int? swaps, TextWriter output)
    {
        Directory.CreateDirectory(directory);
        var region = new SimulatedConvRegion(SimulatedConvRegion.LoadCatalog(Path.Combine(directory, "modules")), realTime: true);
        using var system = SimulatedConvRegion.StartSystem("dpr-region-host", JournalSettings.Sqlite(Path.Combine(directory, "dpr.db")));
        var manager = system.ActorOf(region.Props(SimulatedConvRegion.JournaledOptions), SimulatedConvRegion.PersistenceId);

        var state = Settle(manager);
        if (state.Status is not (RegionStatus.Loaded or RegionStatus.Empty))
        {
            output.WriteLine($"{NotReadyPrefix}{Describe(state)}");
            system.Terminate().Wait();
            return NotSettled;
        }
        output.WriteLine($"{ReadyPrefix}{Describe(state)}");

        var random = new Random(seed);
        var modules = region.Modules;
        var current = state.Module;
        for (var i = 0; swaps is not { } n || i < n; i++)
        {
            // Never the module already loaded: every request is a real swap.
            var candidates = modules.Where(m => m != current).ToList();
            var module = candidates[random.Next(candidates.Count)];
            var clock = Stopwatch.StartNew();
            var reply = manager.Ask<IRegionReply>(new RegionCommands.Load(module), AskTimeout).GetAwaiter().GetResult();
            var ms = clock.Elapsed.TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture);
            switch (reply)
            {
                case RegionReplies.Loaded loaded:
                    current = loaded.Module;
                    output.WriteLine($"swap {i} loaded {loaded.Module} in {ms} ms");
                    break;
                case RegionReplies.LoadFailed failed:
                    output.WriteLine($"swap {i} failed {failed.Module}: {failed.Reason}");
                    break;
                default:
                    output.WriteLine($"swap {i} unexpected reply {reply.GetType().Name}");
                    break;
            }
        }
        system.Terminate().Wait();
        return ExitCodes.Ok;
    }

    /// <summary>Asks until the manager has finished recovering (and any recovery reload): its state is neither Loading, Scrubbing nor Unknown (a failed write waiting for its retry).</summary>
    private static RegionReplies.State Settle(IActorRef manager)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var state = manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), AskTimeout).GetAwaiter().GetResult();
            if (state.Status is not (RegionStatus.Loading or RegionStatus.Scrubbing or RegionStatus.Unknown) || clock.Elapsed > SettleTimeout)
            {
                return state;
            }
            Thread.Sleep(10);
        }
    }

    private static string Describe(RegionReplies.State s) =>
        $"status={s.Status} module={s.Module ?? "-"} swaps={s.Swaps} failed={s.FailedSwaps}";
}
