using Akka.Actor;
using Dpr.Actors.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Service;

/// <summary>
/// Has the storage sweeper (<see cref="JobStorageSweeperActor"/>) delete what no kept job needs — results
/// of jobs the intake no longer knows, older than <c>Dpr:ResultRetentionHours</c>, and blobs no kept job
/// names — once the actors run, then every hour (the sweeper logs what went). Results and blobs of jobs
/// the intake forgets go at once; this catches what a crash or a refused submission left behind.
/// </summary>
public sealed class ResultPruner(DprNode node, ILogger<ResultPruner> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            // This service starts before the actor system does.
            while (!node.JobsStarted)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            try
            {
                await node.Storage.Ask<JobStorageSweeperActor.Swept>(JobStorageSweeperActor.Sweep.Instance, TimeSpan.FromMinutes(5), stoppingToken);
            }
            catch (AskTimeoutException e)
            {
                log.LogWarning("Storage sweep did not finish: {Reason}; the next hour tries again", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
