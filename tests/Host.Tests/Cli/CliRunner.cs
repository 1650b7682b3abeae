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

    public static string Fixture(string name) => Dpr.Host.Bench.FixturePaths.Real(name);
}
