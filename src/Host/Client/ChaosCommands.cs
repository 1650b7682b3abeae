using System.CommandLine;
using Dpr.Host.Api;
using Spectre.Console;

namespace Dpr.Host.Client;

/// <summary>
/// <c>dpr chaos</c>: fault injection into a running <c>dpr serve</c> on the simulated board, through
/// <c>/v1/chaos</c> with an admin key (<c>--key</c> or <c>$DPR_KEY</c>). The service checks everything:
/// the verbs only pass the words on, so a refusal names the same field as the API does.
/// </summary>
public static class ChaosCommands
{
    public static Command Create()
    {
        var partition = new Option<string?>("--partition") { Description = "The partition struck." };
        var inStatic = new Option<bool>("--static") { Description = "Strike the static design instead (uncorrectable: the board is degraded until the service restarts)." };
        var uncorrectable = new Option<bool>("--uncorrectable") { Description = "One the SEM controller cannot repair: the partition is reloaded (default: a correctable upset)." };
        var board = new Option<string?>("--board") { Description = "The partition's board, as `dpr boards` lists it (required against a fleet node)." };
        var upset = ClientCommands.With(new Command("upset", "A configuration upset, reported by the SEM controller at once.") { partition, inStatic, uncorrectable, board });
        ClientCommands.Set(upset, async (parse, client, console) =>
        {
            var injected = await client.InjectUpsetAsync(new ChaosUpsetDto(parse.GetValue(partition), parse.GetValue(inStatic), !parse.GetValue(uncorrectable), parse.GetValue(board)));
            return ClientCommands.Print(parse, console, injected, () => ClientCommands.Table(
                ["target", "frame", "word", "bit", "correctable"],
                [[injected.Target, injected.Frame, injected.Word.ToString(), injected.Bit.ToString(), injected.Correctable ? "yes" : "no"]]));
        });

        var kind = new Option<string>("--kind") { Description = "fail, hang, partial or corrupt.", Required = true };
        var count = new Option<int>("--count") { Description = "How many of the next port writes (1 to 100).", DefaultValueFactory = _ => 1 };
        var hangSeconds = new Option<double?>("--hang-seconds") { Description = "With --kind hang: how long each write stalls (default 30; a swap gives up after 10)." };
        var port = ClientCommands.With(new Command("port", "The next port writes fail, hang, stop half way or arrive corrupted.") { kind, count, hangSeconds });
        ClientCommands.Set(port, async (parse, client, console) =>
        {
            var faults = await client.InjectPortFaultsAsync(new ChaosPortFaultDto(parse.GetValue(kind), parse.GetValue(count), parse.GetValue(hangSeconds)));
            return ClientCommands.Print(parse, console, faults, () => PortFaultTable(faults.Pending));
        });

        var seconds = new Option<double?>("--seconds") { Description = "How long (1 to 300, default 10); past 10 s the journals' writes are reported failed instead of waiting." };
        var journal = ClientCommands.With(new Command("journal", "A journal outage: another writer locks the SQLite journal for a while.") { seconds });
        ClientCommands.Set(journal, async (parse, client, console) =>
        {
            var outage = await client.InjectJournalOutageAsync(new ChaosJournalOutageDto(parse.GetValue(seconds)));
            return ClientCommands.Print(parse, console, outage, () => ClientCommands.Table(["journal", "locked until"], [[outage.Journal, outage.Until.ToString("u")]]));
        });

        var list = ClientCommands.With(new Command("list", "The injected faults not yet hit, and the SEM controller's state."));
        ClientCommands.Set(list, async (parse, client, console) =>
        {
            var state = await client.ChaosAsync();
            if (!parse.GetValue(ClientCommands.Json))
            {
                console.MarkupLineInterpolated($"SEM controller: {state.SemController}");
                console.MarkupLineInterpolated($"journal outage: {(state.JournalOutageUntil is { } until ? $"until {until:u}" : "none")}");
            }
            return ClientCommands.Print(parse, console, state, () => PortFaultTable(state.PortFaults));
        });

        var clear = ClientCommands.With(new Command("clear", "Withdraw every injected port fault not yet hit and end a journal outage."));
        ClientCommands.Set(clear, async (parse, client, console) =>
        {
            var cleared = await client.ClearChaosAsync();
            return ClientCommands.Print(parse, console, cleared, () => PortFaultTable(cleared.PortFaults));
        });

        return new Command("chaos", "Fault injection into a running service on the simulated board (admin key).") { upset, port, journal, list, clear };
    }

    private static Table PortFaultTable(IReadOnlyList<PendingPortFaultDto> faults) => ClientCommands.Table(
        ["#", "port fault", "hang s", "hits"],
        faults.Select((f, i) => new[] { (i + 1).ToString(), f.Kind, f.HangSeconds?.ToString("0.###") ?? "", f.Write is { } w ? $"write {w}" : f.Module is { } m ? $"next write of {m}" : "next write" }));
}
