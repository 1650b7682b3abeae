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
        var wait = new Option<bool>("--wait") { Description = "Wait until every job has finished, with a progress bar." };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "With --wait: write each result to DIR/ID.json." };
        var command = With(new Command("submit", "Submit convolution jobs from files; with --wait, follow them to the end.") { files, wait, outDir });
        Set(command, async (parse, client, console) =>
        {
            var jobs = parse.GetValue(files)!.SelectMany(Read).ToList();
            var submitted = new List<(string Source, SubmittedDto Job)>();
            foreach (var (source, body) in jobs)
            {
                submitted.Add((source, await client.SubmitAsync(body)));
            }
            if (!parse.GetValue(wait))
            {
                return Print(parse, console, submitted.Select(s => s.Job).ToList(), () =>
                    Table(["source", "id", "state"], submitted.Select(s => new[] { s.Source, s.Job.Id.ToString(), s.Job.State + (s.Job.Duplicate ? " (duplicate)" : "") })));
            }
            var finished = await WaitAsync(client, submitted.Select(s => s.Job.Id).ToList(), console, parse.GetValue(Json));
            if (parse.GetValue(outDir) is { } dir)
            {
                dir.Create();
                foreach (var job in finished.Where(j => j.State == "completed"))
                {
                    var result = await client.ResultAsync(job.Id);
                    await File.WriteAllTextAsync(Path.Combine(dir.FullName, $"{job.Id}.json"), JsonSerializer.Serialize(result, ApiJson.Options));
                }
            }
            Print(parse, console, finished, () => Table(["id", "module", "state", "ran on", "error"], finished.Select(j => new[] { j.Id.ToString(), j.Module, j.State, j.Partition ?? "", j.Error ?? "" })));
            return finished.All(j => j.State == "completed") ? ExitCodes.Ok : ExitCodes.UsageOrFile;
        });
        return command;
    }

    public static Command Jobs()
    {
        var state = new Option<string?>("--state") { Description = "queued, running, completed, failed or cancelled." };
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 100 };
        var id = new Argument<Guid>("ID");
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
        var load = With(new Command("load", "Load a module into a partition (admin key).") { partition, module });
        Set(load, async (parse, client, console) =>
        {
            var loaded = await client.LoadAsync(parse.GetValue(partition)!, parse.GetValue(module)!);
            return Print(parse, console, loaded, () => Table(["partition", "module", "swap"], [[loaded.Partition, loaded.Module, loaded.Hit ? "none (already loaded)" : "done"]]));
        });
        var resetPartition = new Argument<string>("PARTITION");
        var reset = With(new Command("reset", "Clear a faulted partition (admin key).") { resetPartition });
        Set(reset, async (parse, client, console) =>
        {
            var region = await client.ResetAsync(parse.GetValue(resetPartition)!);
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
        var command = With(new Command("swaps", "The recorded swap history, newest first.") { partition, limit, before });
        Set(command, async (parse, client, console) =>
        {
            var page = await client.SwapsAsync(parse.GetValue(partition), parse.GetValue(limit), parse.GetValue(before));
            Print(parse, console, page, () => Table(
                ["at", "partition", "module", "outcome", "reason", "attempt", "total ms", "failure"],
                page.Swaps.Select(s => new[] { s.At.ToString("u"), s.Partition, s.Module, s.Outcome, s.Reason ?? "", s.Attempt.ToString(), s.TotalMs?.ToString("0.###") ?? "", s.Failure ?? "" })));
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
            return Print(parse, console, modules, () => Table(
                ["module", "alias", "partition", "kernel", "precision", "bytes", "sha256"],
                modules.Modules.Select(m => new[] { m.Name, m.Alias ?? "", m.Partition, m.KernelSize is { } k ? $"{k}x{k}" : "", m.Precision ?? "", m.Bytes.ToString("N0"), m.Sha256[..16] + "…" })));
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
                var retry = e.RetryAfter is { } wait ? $" (retry after {wait.TotalSeconds:0} s)" : "";
                throw new CliFailure(ExitCodes.UsageOrFile, $"{e.Message}{(e.Field is null ? "" : $" [field {e.Field}]")}{retry}");
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

    private static Table RegionTable(IEnumerable<RegionDto> regions) => Table(
        ["partition", "status", "module", "swaps", "failed", "fault", "loaded at"],
        regions.Select(r => new[] { r.Partition, r.Status, r.Module ?? r.PendingModule ?? "", r.Swaps.ToString(), r.FailedSwaps.ToString(), r.FaultReason ?? "", r.LoadedAt?.ToString("u") ?? "" }));

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
