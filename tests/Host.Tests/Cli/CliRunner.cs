using System.CommandLine;

namespace Dpr.Host.Tests.Cli;

/// <summary>Runs <c>dpr</c> in process with captured stdout and stderr.</summary>
public static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.BuildCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A file in <c>../shared/fixtures/real</c> beside the repository (or under <c>DPR_FIXTURES</c>).</summary>
    public static string Fixture(string name)
    {
        if (Environment.GetEnvironmentVariable("DPR_FIXTURES") is { Length: > 0 } root)
        {
            return Path.Combine(root, "real", name);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")))
            {
                return Path.Combine(dir.Parent!.FullName, "shared", "fixtures", "real", name);
            }
        }
        throw new DirectoryNotFoundException("Actors.sln not found above the test binaries; set DPR_FIXTURES");
    }
}
