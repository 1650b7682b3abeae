using System.CommandLine;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;

namespace Dpr.Host.Cli;

/// <summary><c>dpr boards derive STATIC.bit PARTIAL.bit... [--hwh FILE]</c>: a board profile from the real files of a design (docs/boards.md).</summary>
public static class BoardsCommand
{
    public static Command Create() => new("boards", "Board profiles.") { Derive() };

    private static Command Derive()
    {
        var files = new Argument<FileInfo[]>("BITSTREAM")
        {
            Description = "The static design's full bitstream, then the partials (at least one per partition; a PARTIAL.hwh beside a partial is read too).",
            Arity = new ArgumentArity(2, ArgumentArity.ZeroOrMore.MaximumNumberOfValues),
        };
        var hwh = new Option<FileInfo?>("--hwh") { Description = "The static design's .hwh: partition names, module windows, the fabric clock. Default STATIC.hwh beside it, if there is one." };
        var name = new Option<string?>("--name") { Description = "The board's name; default the static file's name without extension." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where to write the profile; default NAME.board.json." };
        var command = new Command("derive", "Write a board profile from a static design and its partials: device, partition frames and CFG_CLB masks, and from the .hwh names and module windows.")
        {
            files, hwh, name, output,
        };
        CliAction.Set(command, (parse, stdout) =>
        {
            var given = parse.GetValue(files)!;
            var staticFile = given[0];
            var staticHwh = parse.GetValue(hwh) ?? Beside(staticFile);
            var boardName = parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(staticFile.Name);
            DerivedBoard derived;
            try
            {
                derived = BoardDerivation.Derive(
                    boardName,
                    new DerivationSource(staticFile.Name, CliAction.ReadFile(staticFile), Handoff(staticHwh)),
                    [.. given.Skip(1).Select(f => new DerivationSource(f.Name, CliAction.ReadFile(f), Handoff(Beside(f))))]);
            }
            catch (BoardDerivationException e)
            {
                throw new CliFailure(
                    e.Outcome switch
                    {
                        VerdictOutcome.WrongDevice => ExitCodes.WrongDevice,
                        VerdictOutcome.CrcMismatch => ExitCodes.CrcMismatch,
                        _ => ExitCodes.OutsidePartition,
                    },
                    $"refused {e.Message}");
            }
            var target = parse.GetValue(output) ?? new FileInfo(boardName + ".board.json");
            CliAction.WriteFile(target, System.Text.Encoding.UTF8.GetBytes(derived.Json));
            var board = derived.Board;
            stdout.WriteLine($"wrote {target.FullName}: board {board.Name}, {board.Device.Name}, {board.Partitions.Count} partitions, fabric clock {board.FabricClockMHz} MHz");
            for (var i = 0; i < board.Partitions.Count; i++)
            {
                var p = board.Partitions[i];
                var window = p.ModuleSpan > 0 ? $", modules at 0x{p.ModuleAddress:X8} (0x{p.ModuleSpan:X} bytes)" : "";
                stdout.WriteLine($"  {p.Name}: {board.FrameCount(p)} frames ({string.Join("; ", p.Frames)}){window}, from {string.Join(", ", derived.Sources[i])}");
            }
            stdout.WriteLine("not derived (fill in by hand, docs/boards.md):");
            foreach (var missing in derived.NotDerived)
            {
                stdout.WriteLine($"  {missing}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static FileInfo? Beside(FileInfo bitstream) =>
        new FileInfo(Path.ChangeExtension(bitstream.FullName, ".hwh")) is { Exists: true } hwh ? hwh : null;

    private static HardwareHandoff? Handoff(FileInfo? file)
    {
        if (file is null)
        {
            return null;
        }
        try
        {
            return HardwareHandoff.Load(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HardwareHandoffException)
        {
            throw new CliFailure(ExitCodes.UsageOrFile, $"cannot read {file.FullName}: {e.Message}");
        }
    }
}
