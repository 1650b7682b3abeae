using System.CommandLine;

namespace Dpr.Host.Tests.Cli;

/// <summary><c>--help</c> on every verb a user can see.</summary>
public class HelpTests
{
    public static TheoryData<string> Verbs()
    {
        var verbs = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                var name = (path + " " + sub.Name).Trim();
                verbs.Add(name);
                Walk(sub, name);
            }
        }
        Walk(Program.BuildCommand(), "");
        return verbs;
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Every_listed_verb_prints_its_usage_and_description(string verb)
    {
        var command = verb.Split(' ').Aggregate((Command)Program.BuildCommand(), (c, name) => c.Subcommands.Single(s => s.Name == name));

        var (exit, stdout, stderr) = CliRunner.Run([.. verb.Split(' '), "--help"]);

        Assert.True(exit == 0, stderr);
        Assert.Contains("Usage:", stdout);
        Assert.Contains($" {verb} ", stdout);
        Assert.Contains(command.Description!.Split('.')[0], stdout.ReplaceLineEndings(" ").Replace("  ", " "));
    }
}
