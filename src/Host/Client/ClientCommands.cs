using System.CommandLine;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Cli;
using Spectre.Console;

namespace Dpr.Host.Client;

/// <summary>
/// The verbs for people, as clients of a running <c>dpr serve</c>: <c>submit</c>, <c>jobs</c>,
/// <c>regions</c>, <c>swaps</c>, <c>audit</c> and <c>modules list</c>. Tables by default, <c>--json</c> for scripts.
/// </summary>
public static class ClientCommands
{
    private static readonly Option<string> Url = new("--url")
    {
        Description = "The service (default: $DPR_URL, else http://localhost:5080).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DPR_URL") ?? "http://localhost:5080",
    };

    // No DefaultValueFactory: help prints an option's default, and this one is a secret.
    private static readonly Option<string?> Key = new("--key") { Description = "The API key (default: $DPR_KEY)." };

    internal static readonly Option<bool> Json = new("--json") { Description = "Print the API's JSON instead of a table." };

    public static Command Submit()
    {
        var files = new Argument<FileInfo[]>("FILE") { Description = "JSON job files: one POST /v1/jobs body, or an array of them.", Arity = ArgumentArity.OneOrMore };
        var wait = new Option<bool>("--wait") { Description = "Wait until every accepted job has finished, with a progress bar." };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "With --wait: write each result to DIR/ID.json." };
        var command = With(new Command("submit", "Submit convolution jobs from files: each job's id or refusal; with --wait, follow the accepted ones to the end. Exits 1 if any was refused or did not complete.") { files, wait, outDir });
        Set(command, async (parse, client, console) =>
        {
            var rows = new List<SubmitRow>();
            foreach (var (source, body) in parse.GetValue(files)!.SelectMany(Read).ToList())
            {
                // A refusal is that job's outcome: the others are still sent, and every id is reported.
                try
                {
                    var job = await client.SubmitAsync(body);
                    rows.Add(new SubmitRow(source, job.Id, job.State, job.Duplicate));
                }
                catch (DprApiException e)
                {
                    rows.Add(new SubmitRow(source, null, "refused", false, Error: Describe(e), Field: e.Field));
                }
            }
            var accepted = rows.Where(r => r.Id is not null).ToList();
            var json = parse.GetValue(Json);
            if (parse.GetValue(wait) && accepted.Count > 0)
            {
                if (!json)
                {
                    // The ids first: a wait that is interrupted does not lose them.
                    console.Write(SubmitTable(rows));
                }
                var finished = (await WaitAsync(client, [.. accepted.Select(r => r.Id!.Value)], console, json)).ToDictionary(j => j.Id);
                rows = [.. rows.Select(r => r.Id is { } id ? r with { State = finished[id].State, Partition = finished[id].Partition, Error = finished[id].Error } : r)];
                if (parse.GetValue(outDir) is { } dir)
                {
                    dir.Create();
                    foreach (var id in finished.Values.Where(j => j.State == "completed").Select(j => j.Id))
                    {
                        var result = await client.ResultAsync(id);
                        await File.WriteAllTextAsync(Path.Combine(dir.FullName, $"{id}.json"), JsonSerializer.Serialize(result, ApiJson.Options));
                    }
                }
            }
            Print(parse, console, rows, () => SubmitTable(rows));
            foreach (var refused in rows.Where(r => r.Id is null))
            {
                parse.InvocationConfiguration.Error.WriteLine($"dpr submit: {refused.Source} refused: {refused.Error}");
            }
            var failed = parse.GetValue(wait) ? rows.Count(r => r.State != "completed") : rows.Count(r => r.Id is null);
            return failed == 0 ? ExitCodes.Ok : ExitCodes.UsageOrFile;
        });
        return command;
    }

    /// <summary>One job of <c>dpr submit</c>: its id and state, or its refusal (status, detail, field).</summary>
    private sealed record SubmitRow(string Source, Guid? Id, string State, bool Duplicate, string? Partition = null, string? Error = null, string? Field = null);

    private static Table SubmitTable(IEnumerable<SubmitRow> rows) => Table(
        ["source", "id", "state", "ran on", "error"],
        rows.Select(r => new[] { r.Source, r.Id?.ToString() ?? "", r.State + (r.Duplicate ? " (duplicate)" : ""), r.Partition ?? "", r.Error ?? "" }));

    private static string Describe(DprApiException e) =>
        $"{e.Message}{(e.Field is null ? "" : $" [field {e.Field}]")}{(e.RetryAfter is { } wait ? $" (retry after {wait.TotalSeconds:0} s)" : "")}";

    public static Command Jobs()
    {
        var state = new Option<string?>("--state") { Description = "queued, running, completed, failed or cancelled." };
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 100 };
        var id = new Argument<Guid>("ID")
        {
            // The parser's own error names System.Guid; a user knows a job id.
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Guid.TryParse(text, out var parsed))
                {
                    return parsed;
                }
                result.AddError($"'{text}' is not a job id: expected a GUID as POST /v1/jobs answers it, e.g. 3f2504e0-4f89-11d3-9a0c-0305e82c3301");
                return default;
            },
        };
        var cancel = With(new Command("cancel", "Cancel a queued job.") { id });
        Set(cancel, async (parse, client, console) =>
        {
            var job = await client.CancelAsync(parse.GetValue(id));
            return Print(parse, console, job, () => Table(["id", "state"], [[job.Id.ToString(), job.State]]));
        });
        var command = With(new Command("jobs", "Your jobs, newest first.") { state, limit, cancel });
        Set(command, async (parse, client, console) =>
        {
            var list = await client.JobsAsync(parse.GetValue(state), parse.GetValue(limit));
            return Print(parse, console, list, () => Table(["id", "module", "state", "ran on", "error"], list.Jobs.Select(j => new[] { j.Id.ToString(), j.Module, j.State, j.Partition ?? "", j.Error ?? "" })));
        });
        return command;
    }

    public static Command Regions()
    {
        var partition = new Argument<string>("PARTITION");
        var module = new Argument<string>("MODULE");
        Option<string?> Board() => new("--board") { Description = "The partition's board, as `dpr boards` lists it (required against a fleet node)." };
        var loadBoard = Board();
        var load = With(new Command("load", "Load a module into a partition (admin key).") { partition, module, loadBoard });
        Set(load, async (parse, client, console) =>
        {
            var loaded = await client.LoadAsync(parse.GetValue(partition)!, parse.GetValue(module)!, parse.GetValue(loadBoard));
            return Print(parse, console, loaded, () => Table(["partition", "module", "swap"], [[loaded.Partition, loaded.Module, loaded.Hit ? "none (already loaded)" : "done"]]));
        });
        var resetPartition = new Argument<string>("PARTITION");
        var resetBoard = Board();
        var reset = With(new Command("reset", "Clear a faulted partition (admin key).") { resetPartition, resetBoard });
        Set(reset, async (parse, client, console) =>
        {
            var region = await client.ResetAsync(parse.GetValue(resetPartition)!, parse.GetValue(resetBoard));
            return Print(parse, console, region, () => RegionTable([region]));
        });
        var command = With(new Command("regions", "The board's partitions: status, module, swaps.") { load, reset });
        Set(command, async (parse, client, console) =>
        {
            var regions = await client.RegionsAsync();
            return Print(parse, console, regions, () => RegionTable(regions.Regions));
        });
        return command;
    }

    public static Command Swaps()
    {
        var partition = new Option<string?>("--partition") { Description = "Only this partition." };
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 20 };
        var before = new Option<string?>("--before") { Description = "The cursor a previous page printed." };
        var board = new Option<string?>("--board") { Description = "Only this board's (on a fleet node)." };
        var command = With(new Command("swaps", "The recorded swap history, newest first.") { partition, limit, before, board });
        Set(command, async (parse, client, console) =>
        {
            var page = await client.SwapsAsync(parse.GetValue(partition), parse.GetValue(limit), parse.GetValue(before), parse.GetValue(board));
            Print(parse, console, page, () => WithBoards(
                ["at", "partition", "module", "outcome", "reason", "attempt", "total ms", "failure"],
                page.Swaps.Select(s => (s.Board, new[] { s.At.ToString("u"), s.Partition, s.Module, s.Outcome, s.Reason ?? "", s.Attempt.ToString(), s.TotalMs?.ToString("0.###") ?? "", s.Failure ?? "" }))));
            if (!parse.GetValue(Json) && page.Next is { } next)
            {
                console.MarkupLineInterpolated($"more: dpr swaps --before {next}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>dpr audit</c>: the admin actions on record (an admin key), newest first.</summary>
    public static Command Audit()
    {
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 20 };
        var before = new Option<string?>("--before") { Description = "The cursor a previous page printed." };
        var command = With(new Command("audit", "The audit trail: admin actions and tenant changes, newest first (an admin key).") { limit, before });
        Set(command, async (parse, client, console) =>
        {
            var page = await client.AuditAsync(parse.GetValue(limit), parse.GetValue(before));
            Print(parse, console, page, () => Table(
                ["#", "at", "by", "key", "source", "action", "target", "detail", "outcome"],
                page.Entries.Select(e => new[]
                {
                    e.Sequence.ToString(), e.At.ToString("u"), e.By, e.Key ?? "", e.Source, e.Action, e.Target ?? "", e.Detail ?? "",
                    e.Outcome + (e.Status is { } status ? $" ({status})" : "") + (e.Reason is { } reason ? $": {reason}" : ""),
                })));
            if (!parse.GetValue(Json) && page.Next is { } next)
            {
                console.MarkupLineInterpolated($"more: dpr audit --before {next}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>dpr modules list</c>: the modules the service serves.</summary>
    public static Command ModulesList()
    {
        var command = With(new Command("list", "The modules a running service serves."));
        Set(command, async (parse, client, console) =>
        {
            var modules = await client.ModulesAsync();
            Print(parse, console, modules, () => Table(
                ["module", "alias", "partition", "kernel", "precision", "bytes", "sha256"],
                modules.Modules.Select(m => new[] { m.Name, m.Alias ?? "", m.Partition, m.KernelSize is { } k ? $"{k}x{k}" : "", m.Precision ?? "", m.Bytes.ToString("N0"), m.Sha256[..16] + "…" })));
            if (!parse.GetValue(Json) && modules.Refused is { Count: > 0 } refused)
            {
                console.MarkupLineInterpolated($"[bold]{refused.Count}[/] refused (not served):");
                console.Write(Table(["file", "field", "reason"], refused.Select(r => new[] { r.File, r.Field, r.Reason })));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Adds the options every client verb takes: <c>--url</c>, <c>--key</c>, <c>--json</c>.</summary>
    internal static Command With(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Key);
        command.Options.Add(Json);
        return command;
    }

    /// <summary>Runs a client verb: the client for <c>--url</c> and <c>--key</c>, the API's refusals and an unreachable service as a message and exit code 1.</summary>
    internal static void Set(Command command, Func<ParseResult, DprClient, IAnsiConsole, Task<int>> body) =>
        CliAction.Set(command, (parse, output) =>
        {
            var url = parse.GetValue(Url)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                throw new CliFailure(ExitCodes.UsageOrFile, $"--url: '{url}' is not a URL");
            }
            using var client = DprClient.Create(uri, parse.GetValue(Key) ?? Environment.GetEnvironmentVariable("DPR_KEY"));
            try
            {
                return body(parse, client, InspectCommand.ConsoleFor(output)).GetAwaiter().GetResult();
            }
            catch (DprApiException e)
            {
                throw new CliFailure(ExitCodes.UsageOrFile, Describe(e));
            }
            catch (HttpRequestException e)
            {
                throw new CliFailure(ExitCodes.UsageOrFile, $"cannot reach {uri}: {e.Message} (is `dpr serve` running? --url, $DPR_URL)");
            }
        });

    /// <summary>The API's JSON with <c>--json</c>, else the table.</summary>
    internal static int Print<T>(ParseResult parse, IAnsiConsole console, T value, Func<Table> table)
    {
        if (parse.GetValue(Json))
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, ApiJson.Options));
        }
        else
        {
            console.Write(table());
        }
        return ExitCodes.Ok;
    }

    internal static Table Table(string[] columns, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns(columns);
        foreach (var row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        return table;
    }

    private static Table RegionTable(IEnumerable<RegionDto> regions) => WithBoards(
        ["partition", "status", "module", "swaps", "failed", "fault", "loaded at"],
        regions.Select(r => (r.Board, new[] { r.Partition, r.Status, r.Module ?? r.PendingModule ?? "", r.Swaps.ToString(), r.FailedSwaps.ToString(), r.FaultReason ?? "", r.LoadedAt?.ToString("u") ?? "" })));

    /// <summary>A table with a first column <c>board</c> when the rows carry one (a fleet node's), without it otherwise.</summary>
    private static Table WithBoards(string[] columns, IEnumerable<(string? Board, string[] Row)> rows)
    {
        var all = rows.ToList();
        return all.Any(r => r.Board is not null)
            ? Table(["board", .. columns], all.Select(r => (string[])[r.Board ?? "", .. r.Row]))
            : Table(columns, all.Select(r => r.Row));
    }

    /// <summary>The job bodies of a file: one object, or an array of them.</summary>
    private static IEnumerable<(string Source, JsonElement Body)> Read(FileInfo file)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file.FullName));
            root = document.RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliFailure(ExitCodes.UsageOrFile, $"{file.FullName}: {e.Message}");
        }
        return root.ValueKind switch
        {
            JsonValueKind.Object => [(file.Name, root)],
            JsonValueKind.Array => root.EnumerateArray().Select((job, i) => ($"{file.Name}[{i}]", job)).ToList(),
            _ => throw new CliFailure(ExitCodes.UsageOrFile, $"{file.FullName}: expected a job object or an array of them"),
        };
    }

    /// <summary>Polls every job until it is completed, failed or cancelled, with a progress bar (not with --json).</summary>
    private static async Task<List<JobDto>> WaitAsync(DprClient client, IReadOnlyList<Guid> ids, IAnsiConsole console, bool quiet)
    {
        var finished = new Dictionary<Guid, JobDto>();
        async Task Poll(Action<int> progress)
        {
            while (finished.Count < ids.Count)
            {
                foreach (var id in ids.Where(i => !finished.ContainsKey(i)))
                {
                    var job = await client.JobAsync(id);
                    if (job.State is "completed" or "failed" or "cancelled")
                    {
                        finished[id] = job;
                    }
                }
                progress(finished.Count);
                if (finished.Count < ids.Count)
                {
                    await Task.Delay(100);
                }
            }
        }
        if (quiet)
        {
            await Poll(_ => { });
        }
        else
        {
            await console.Progress().StartAsync(async context =>
            {
                var task = context.AddTask($"{ids.Count} jobs", maxValue: ids.Count);
                await Poll(done => task.Value = done);
            });
        }
        return [.. ids.Select(id => finished[id])];
    }
}
