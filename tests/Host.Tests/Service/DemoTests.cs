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
        // The swaps are shown as they happen, on the board's partition (styling removed).
        Assert.Matches(@"swap \d+: partition conv now holds conv\dx\d_int\d+", System.Text.RegularExpressions.Regex.Replace(stdout, @"\x1b\[[0-9;]*m", ""));
        Assert.DoesNotContain("faulted", stdout + stderr);
    }
}
