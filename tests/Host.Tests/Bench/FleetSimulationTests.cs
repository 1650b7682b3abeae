using Dpr.Actors.Jobs.Scheduling;
using Dpr.Host.Bench;
using Dpr.Host.Fleet;

namespace Dpr.Host.Tests.Bench;

/// <summary><c>dpr bench fleet</c>'s simulated boards, run with the scheduler options a deployment may set.</summary>
public class FleetSimulationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void With_prefetch_on_every_job_completes_on_fleet_and_round_robin_boards(bool fleet)
    {
        // A prefetch load starts as the event of the load before it frees the partition; the late answer to that load
        // once let the driver start a job on the partition while the prefetch was still loading it.
        var options = new SchedulerOptions { LoadEmptyAtOnce = true, Prefetch = true };
        var arrivals = ScheduleBenchmark.Generate(4 * 2_000, 1.0, 0.5, 4, ScheduleBenchmark.JobSizes(), 0xF1EE_9004UL);

        // Run throws unless every job completes, and when the simulated board is told to do two things at once.
        var outcome = new FleetSimulation(4, options, fleet ? new ClusterSettings().PlacementWithin : null).Run(arrivals);

        Assert.InRange(outcome.ReconfigurationsPerJob, 1e-6, 1);
    }
}
