using Dpr.Actors.Jobs;
using Dpr.TestKit.Scenarios;
using Xunit.Abstractions;

namespace Dpr.TestKit.Tests;

/// <summary>The scenario runner finds a planted bug — a job client that drops a job — shrinks it to the steps that matter, and draws it again from its seed.</summary>
public sealed class ScenarioRunnerTests(ITestOutputHelper output)
{
    /// <summary>
    /// The planted bug: a job client that, once the node has restarted, acknowledges the next submission
    /// with an id of its own and never sends it (as a client that loses its connection state would).
    /// </summary>
    private sealed class DroppingClient(TestNode node) : IJobClient
    {
        private bool _dropped;

        public Task<Submission> SubmitAsync(JobRequest request)
        {
            if (node.Lifetimes > 1 && !_dropped)
            {
                _dropped = true;
                return Task.FromResult(Submission.Of(Guid.NewGuid()));
            }
            return node.Jobs.SubmitAsync(request);
        }
    }

    private static ScenarioOptions Planted => new(Runs: 30, MaxSteps: 8, Client: node => new DroppingClient(node),
        Node: new DprTestKitOptions { Patience = TimeSpan.FromSeconds(20) });

    [Fact]
    public void The_runner_finds_a_client_that_drops_a_job_and_shrinks_it_to_a_restart_and_a_submission()
    {
        const int seed = 20261207;

        var result = new ScenarioRunner(Planted).Check(seed);
        output.WriteLine(result.ToString());

        Assert.False(result.Passed, result.ToString());
        Assert.Collection(result.Shrunk!,
            step => Assert.IsType<ScenarioStep.Restart>(step),
            step => Assert.IsType<ScenarioStep.Submit>(step));
        Assert.True(result.Failing!.Count >= result.Shrunk!.Count);
        Assert.Contains("0 JobAccepted events on record", result.Report);
        Assert.Contains($"seed {seed}", result.ToString());
    }

    [Fact]
    public async Task A_shrunk_scenario_run_again_fails_the_same_way()
    {
        var steps = new ScenarioStep[] { new ScenarioStep.Restart(Graceful: false), new ScenarioStep.Submit("conv3x3_int8", "alice", 1, false) };

        var report = await new ScenarioRunner(Planted).RunAsync(steps);

        Assert.False(report.Hold);
        Assert.Single(report.Violations, v => v.Contains("0 JobAccepted events on record"));
    }

    [Fact]
    public void The_same_seed_draws_the_same_scenarios()
    {
        var runner = new ScenarioRunner();

        var first = FsCheck.Fluent.Gen.Sample(runner.Scenarios, 10, new FsCheck.Rnd(42UL), 3);
        var second = FsCheck.Fluent.Gen.Sample(runner.Scenarios, 10, new FsCheck.Rnd(42UL), 3);

        Assert.Equal(first.Select(s => string.Join(", ", s)), second.Select(s => string.Join(", ", s)));
    }
}
