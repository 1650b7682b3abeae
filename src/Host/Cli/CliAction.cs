using System.CommandLine;
using System.CommandLine.Parsing;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Host.Cli;

/// <summary>Runs a verb body and turns the typed errors users can cause into a message and an exit code.</summary>
public static class CliAction
{
    public static void Set(Command command, Func<ParseResult, TextWriter, int> body) =>
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                return body(parse, output);
            }
            catch (CliFailure e)
            {
                error.WriteLine($"{FullName(parse.CommandResult)}: {e.Message}");
                return e.ExitCode;
            }
            catch (BitstreamFormatException e)
            {
                error.WriteLine($"{FullName(parse.CommandResult)}: malformed bitstream: {e.Message}");
                return ExitCodes.Malformed;
            }
            catch (BoardProfileException e)
            {
                error.WriteLine($"{FullName(parse.CommandResult)}: {e.Message}");
                return ExitCodes.UsageOrFile;
            }
        });

    /// <summary><c>dpr regions load</c>: the verb as typed, whatever the executable is called.</summary>
    private static string FullName(CommandResult result)
    {
        var names = new List<string>();
        for (var r = result; r.Parent is CommandResult parent; r = parent)
        {
            names.Insert(0, r.Command.Name);
        }
        return "dpr " + string.Join(' ', names);
    }

    public static byte[] ReadFile(FileInfo file)
    {
        try
        {
            return File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure(ExitCodes.UsageOrFile, $"cannot read {file.FullName}: {e.Message}");
        }
    }

    public static void WriteFile(FileInfo file, byte[] bytes)
    {
        try
        {
            file.Directory?.Create();
            File.WriteAllBytes(file.FullName, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure(ExitCodes.UsageOrFile, $"cannot write {file.FullName}: {e.Message}");
        }
    }
}
