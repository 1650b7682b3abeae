using System.CommandLine;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;

namespace Dpr.Host.Cli;

/// <summary>
/// <c>dpr bitstream synth --board B --partition P --module M OUT.bit</c> (or <c>--full</c>): a
/// synthetic, structurally valid bitstream for boards whose Vivado output we do not have.
/// </summary>
public static class BitstreamSynthCommand
{
    public static Command Create()
    {
        var output = new Argument<FileInfo>("OUT") { Description = "Where to write the .bit." };
        var board = new Option<string>("--board") { Description = "A built-in board name or a board JSON file.", Required = true };
        var partition = new Option<string?>("--partition") { Description = "The partition the partial is for." };
        var module = new Option<string?>("--module") { Description = "The module it carries (a convolution module name or alias for convolution partitions)." };
        var full = new Option<bool>("--full") { Description = "Write a full bitstream of the board's device instead (the static design)." };
        var synth = new Command("synth", "Write a synthetic bitstream (labelled as such in its header) with correct structure and CRCs.")
        {
            output, board, partition, module, full,
        };
        CliAction.Set(synth, (parse, stdout) =>
        {
            var b = BoardCatalog.Load(parse.GetValue(board)!);
            byte[] bytes;
            string what;
            if (parse.GetValue(full))
            {
                what = $"full bitstream of {b.Device.Name}";
                bytes = SyntheticBitstream.Full(b, parse.GetValue(module) ?? $"{b.Name}_static");
            }
            else
            {
                var p = b.Partition(parse.GetValue(partition) ?? throw new CliFailure(ExitCodes.UsageOrFile, "--partition is required (or --full)"));
                var name = parse.GetValue(module) ?? throw new CliFailure(ExitCodes.UsageOrFile, "--module is required for a partial");
                if (p.Hosts?.Contains("convolution", StringComparer.OrdinalIgnoreCase) == true)
                {
                    name = ConvModule.TryResolve(name, out var conv)
                        ? conv.Name.Value
                        : throw new CliFailure(ExitCodes.UsageOrFile, $"partition '{p.Name}' hosts convolution modules; '{name}' is not one ({string.Join(", ", ConvModule.All)})");
                }
                what = $"partial for {b.Name}/{p.Name} carrying {name}";
                bytes = SyntheticBitstream.Partial(b, p, name);
            }
            var target = parse.GetValue(output)!;
            CliAction.WriteFile(target, bytes);
            stdout.WriteLine($"wrote {target.FullName} ({bytes.Length:N0} bytes): synthetic {what}");
            return ExitCodes.Ok;
        });
        return new Command("bitstream", "Make bitstreams.") { synth };
    }
}
