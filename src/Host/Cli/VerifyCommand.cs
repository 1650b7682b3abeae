using System.CommandLine;
using System.Text.Json;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Host.Cli;

/// <summary><c>dpr verify FILE --board NAME|PATH.json --partition NAME [--json]</c>: may this partial be loaded there?</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The partial bitstream (.bit, .bin or raw)." };
        var board = new Option<string>("--board") { Description = "A built-in board name or a board JSON file.", Required = true };
        var partition = new Option<string>("--partition") { Description = "The partition to load it into.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the verdict as JSON." };
        var command = new Command("verify", "Check that a partial may be written to a partition: device, CRCs, the partial allow-list, and frames inside the partition.")
        {
            file, board, partition, json,
        };
        CliAction.Set(command, (parse, output) =>
        {
            var b = BoardCatalog.Load(parse.GetValue(board)!);
            var p = b.Partition(parse.GetValue(partition)!);
            var bs = BitstreamReader.Read(CliAction.ReadFile(parse.GetValue(file)!));
            var verdict = LoadVerdict.Check(bs, b, p);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    fits = verdict.Fits,
                    outcome = verdict.Outcome.ToString(),
                    reason = verdict.Reason,
                    offset = verdict.Offset,
                    board = b.Name,
                    partition = p.Name,
                }));
            }
            else
            {
                output.WriteLine($"{(verdict.Fits ? "ok" : "refused")}: {verdict.Reason}");
            }
            return verdict.Outcome switch
            {
                VerdictOutcome.Fits => ExitCodes.Ok,
                VerdictOutcome.WrongDevice => ExitCodes.WrongDevice,
                VerdictOutcome.CrcMismatch => ExitCodes.CrcMismatch,
                _ => ExitCodes.OutsidePartition,
            };
        });
        return command;
    }
}
