using Dpr.TestKit;
using Dpr.TestKit.Scenarios;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Dpr.Actors.Tests.Node;

/// <summary>
/// The node the service runs (<see cref="Actors.Node.NodeRuntime"/>: region manager, SEM monitor, job intake
/// and dispatcher on the simulated board), through Dpr.TestKit's scenario runner, under random interleavings of
/// submissions of all six modules from several tenants, cancellations, operator loads and resets, SEM upsets and
/// storms, port faults, journal refusals, crashes and graceful restarts, and virtual time: every accepted job ends
/// exactly once (completed with the reference result, or failed with a reason), none is started more than the
/// bound, no port writes overlap, every swap is on record and the journals grow with the work (<see cref="Invariants"/>).
/// </summary>
public sealed class NodeInterleavingProperties(ITestOutputHelper output)
{
    /// <summary>A seed whose scenarios, with one step of each missing kind inserted, cover every kind.</summary>
    private const int EveryKindSeed = 2026;

    [Fact]
    public void Every_accepted_job_ends_exactly_once_and_the_journal_stays_proportional()
    {
        // A new seed each run widens the coverage over time; a failure names it, and Check(seed) replays it.
        var seed = System.Random.Shared.Next();

        var result = new ScenarioRunner(new ScenarioOptions(Runs: 6, MaxSteps: 25)).Check(seed);
        output.WriteLine(result.ToString());

        result.AssertPassed();
    }

    [Fact]
    public async Task Every_kind_of_step_interleaved_leaves_every_job_ended_once_with_the_right_result()
    {
        var runner = new ScenarioRunner(new ScenarioOptions(MaxSteps: 30));
        var steps = Gen.Sample(runner.Scenarios, 30, new Rnd((ulong)EveryKindSeed), 1)[0].ToList();
        var draw = new System.Random(EveryKindSeed);
        foreach (var kind in ScenarioRunner.Kinds.Where(k => !steps.Any(k.IsInstanceOfType)))
        {
            var step = Gen.Sample(ScenarioRunner.Step.Where(kind.IsInstanceOfType), 10, new Rnd((ulong)EveryKindSeed), 1)[0];
            steps.Insert(draw.Next(steps.Count + 1), step);
        }
        // A last submission, so a job runs whatever the drawn ones met (a refusal before each, say).
        steps.Add(new ScenarioStep.Submit("conv3x3_int8", "alice", EveryKindSeed, false));

        var report = await runner.RunAsync(steps);
        output.WriteLine($"[{string.Join(", ", steps)}]{Environment.NewLine}{report}");

        Assert.All(ScenarioRunner.Kinds, kind => Assert.Contains(steps, kind.IsInstanceOfType));
        Assert.True(report.Hold, report.ToString());
        Assert.True(report.Jobs > 0 && report.Completed > 0, report.ToString());
    }
}
