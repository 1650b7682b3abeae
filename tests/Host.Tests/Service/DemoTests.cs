using Dpr.Host.Tests.Cli;

namespace Dpr.Host.Tests.Service;

public class DemoTests
{
    [Fact]
    public void Demo_runs_three_tenants_on_the_embedded_board_and_every_result_is_right()
    {
        var (exit, stdout, stderr) = CliRunner.Run("demo", "--rounds", "1");

        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("24 of 24", stdout);
        Assert.Contains("all results correct", stdout);
        // Every swap is shown as it happens, the first ones too, numbered 1 to the count in the summary (styling removed).
        var plain = System.Text.RegularExpressions.Regex.Replace(stdout, @"\x1b\[[0-9;]*m", "");
        var shown = System.Text.RegularExpressions.Regex.Matches(plain, @"swap (\d+): partition conv now holds conv\dx\d_int\d+ \(").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(Enumerable.Range(1, shown.Count), shown);
        Assert.Matches($@"│ 24\s+│ 24 of 24\s+│ {shown.Count}\s+│", plain);
        Assert.DoesNotContain("faulted", stdout + stderr);
    }
}
