using System.CommandLine;
using Dpr.Fabric.Bitstreams;

namespace Dpr.Host.Cli;

/// <summary><c>dpr convert IN OUT [--to bin|raw]</c>: the fpga_manager <c>.bin</c>, or back to a big-endian stream.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("IN") { Description = "A .bit, .bin or raw stream." };
        var output = new Argument<FileInfo>("OUT") { Description = "Where to write the result." };
        var to = new Option<string>("--to")
        {
            Description = "bin: header stripped, words byte-swapped (PYNQ / Linux fpga_manager); raw: big-endian stream.",
            DefaultValueFactory = _ => "bin",
        };
        to.AcceptOnlyFromAmong("bin", "raw");
        var command = new Command("convert", "Write the .bin form of a bitstream as PYNQ does (or --to raw for the big-endian stream).")
        {
            input, output, to,
        };
        CliAction.Set(command, (parse, stdout) =>
        {
            var bs = BitstreamReader.Read(CliAction.ReadFile(parse.GetValue(input)!));
            if (bs.CrcChecks.FirstOrDefault(c => !c.Matches) is { } bad)
            {
                throw new CliFailure(ExitCodes.CrcMismatch, $"CRC mismatch at byte offset {bad.Offset} (expected 0x{bad.Expected:X8}, computed 0x{bad.Computed:X8}); nothing written");
            }
            var bytes = parse.GetValue(to) == "raw" ? BinConverter.ToRaw(bs) : BinConverter.ToBin(bs);
            var target = parse.GetValue(output)!;
            CliAction.WriteFile(target, bytes);
            stdout.WriteLine($"wrote {target.FullName} ({bytes.Length:N0} bytes, {parse.GetValue(to)}, {bs.Kind.ToString().ToLowerInvariant()})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
