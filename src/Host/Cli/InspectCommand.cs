using System.CommandLine;
using Dpr.Fabric.Bitstreams;
using Spectre.Console;

namespace Dpr.Host.Cli;

/// <summary><c>dpr inspect FILE [--json] [--packets]</c>.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A .bit, a PYNQ .bin or a raw configuration stream." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (schema in docs/cli.md)." };
        var packets = new Option<bool>("--packets") { Description = "Also list every packet." };
        var command = new Command("inspect", "Summarize a bitstream: kind, device, header, commands, FDRI writes, CRC verdict, footprint.")
        {
            file, json, packets,
        };
        CliAction.Set(command, (parse, output) =>
        {
            var path = parse.GetValue(file)!;
            var bs = BitstreamReader.Read(CliAction.ReadFile(path));
            var report = BitstreamReport.Of(path.Name, bs);
            if (parse.GetValue(json))
            {
                output.WriteLine(report.ToJson());
            }
            else
            {
                Render(report, parse.GetValue(packets) ? bs.Packets : null, ConsoleFor(output));
            }
            return report.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// A Spectre console over a verb's output. Spectre assumes 80 columns when it cannot ask a
    /// terminal, which folds every table; redirected output gets 160.
    /// </summary>
    internal static IAnsiConsole ConsoleFor(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (output != Console.Out || Console.IsOutputRedirected)
        {
            console.Profile.Width = 160;
        }
        return console;
    }

    private static void Render(BitstreamReport r, IReadOnlyList<ConfigPacket>? packets, IAnsiConsole console)
    {
        var summary = new Grid().AddColumn().AddColumn();
        summary.AddRow("file", Markup.Escape($"{r.File} ({r.Size:N0} bytes)"));
        summary.AddRow("kind", $"{r.Kind} ({r.Format})");
        summary.AddRow("device", Markup.Escape($"{r.Device ?? "unknown"} (IDCODE {r.Idcode ?? "none"})"));
        if (r.Header is { } h)
        {
            summary.AddRow("design", Markup.Escape(h.A));
            summary.AddRow("part", Markup.Escape(h.B));
            summary.AddRow("built", Markup.Escape($"{h.C} {h.D}"));
        }
        summary.AddRow("sync", $"byte offset {r.SyncOffset}");
        summary.AddRow("packets", $"{r.Packets:N0}");
        summary.AddRow("commands", Markup.Escape(string.Join(" ", r.Commands)));
        summary.AddRow("sessions", r.Sessions == 1 ? "1" : $"[red]{r.Sessions}: the stream synchronizes again after DESYNC[/]");
        summary.AddRow("crc", r.Crc.Checks == 0
            ? "[yellow]no CRC checks in the stream[/]"
            : r.Crc.AllMatch ? $"[green]{r.Crc.Checks} of {r.Crc.Checks} match[/]" : $"[red]{r.Crc.Writes.Count(w => !w.Match)} of {r.Crc.Checks} mismatch[/]");
        if (r.Crc.UncheckedFrameData is { } unchecked_)
        {
            summary.AddRow("", $"[red]frame data at byte offset {unchecked_} is not covered by any CRC check after it[/]");
        }
        if (r.Partial is { } rules)
        {
            summary.AddRow("partial rules", rules.Ok ? "[green]within the allow-list[/]" : $"[red]{Markup.Escape($"{rules.Reason} (at byte offset {rules.Offset})")}[/]");
        }
        if (r.CfgClbMask is { } mask)
        {
            summary.AddRow("CFG_CLB mask", Markup.Escape($"{mask.Word}: {string.Join("; ", mask.Rows.Select(x => $"{x.Half} {x.Row} {x.Columns}"))}"));
        }
        console.Write(summary);

        // Every register write the engine performs, whichever packet type carried it.
        var writes = new Table().Border(TableBorder.Rounded).Title("register writes").AddColumns("offset", "packet", "write");
        foreach (var w in r.Writes)
        {
            writes.AddRow(w.Offset.ToString(), w.HeaderType == 1 ? "type 1" : "[red]type 2[/]", Markup.Escape(w.Session == 1 ? w.Text : $"{w.Text} (session {w.Session})"));
        }
        foreach (var m in r.MultiFrameWrites)
        {
            writes.AddRow(m.Offset.ToString(), "MFWR", Markup.Escape($"frame {m.Far}"));
        }
        console.Write(writes);

        var fdri = new Table().Border(TableBorder.Rounded).Title("FDRI writes").AddColumns("FAR", "block", "row", "column", "minor", "words", "frames");
        foreach (var w in r.Fdri)
        {
            var far = new FrameAddress(Convert.ToUInt32(w.Far, 16));
            fdri.AddRow(w.Far, far.BlockType.ToString(), far.RowName, far.Column.ToString(), far.Minor.ToString(), $"{w.Words:N0}", $"{w.Frames:N0}");
        }
        console.Write(fdri);

        if (r.Crc.Writes.Any(w => !w.Match))
        {
            var crc = new Table().Border(TableBorder.Rounded).Title("CRC writes").AddColumns("offset", "expected", "computed", "match");
            foreach (var w in r.Crc.Writes)
            {
                crc.AddRow(w.Offset.ToString(), w.Expected, w.Computed, w.Match ? "yes" : "[red]no[/]");
            }
            console.Write(crc);
        }

        if (r.Footprint is { } fp)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .Title($"footprint: {fp.Frames:N0} frames (+{fp.MaskFrames} CFG_CLB mask frames)")
                .AddColumns("first", "last", "block", "row", "columns", "frames");
            foreach (var x in fp.Ranges)
            {
                table.AddRow(x.First, x.Last, x.BlockType, x.Row, $"{x.FirstColumn}-{x.LastColumn}", $"{x.Frames:N0}");
            }
            console.Write(table);
            if (fp.UnmappedFrames > 0)
            {
                console.MarkupLine($"[red]{fp.UnmappedFrames} frames at addresses the device does not have[/]");
            }
        }

        if (packets is not null)
        {
            var table = new Table().Border(TableBorder.Simple).Title("packets").AddColumns("offset", "type", "packet");
            foreach (var p in packets)
            {
                table.AddRow(p.Offset.ToString(), p.HeaderType.ToString(), Markup.Escape(p.ToString()));
            }
            console.Write(table);
        }
    }
}
