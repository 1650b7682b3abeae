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
        Assert.Matches(@"swap 1: partition conv now holds", stdout);
        Assert.DoesNotContain("faulted", stdout + stderr);
    }
}
