using System.CommandLine;
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
                error.WriteLine($"dpr {command.Name}: {e.Message}");
                return e.ExitCode;
            }
            catch (BitstreamFormatException e)
            {
                error.WriteLine($"dpr {command.Name}: malformed bitstream: {e.Message}");
                return ExitCodes.Malformed;
            }
            catch (BoardProfileException e)
            {
                error.WriteLine($"dpr {command.Name}: {e.Message}");
                return ExitCodes.UsageOrFile;
            }
        });

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
