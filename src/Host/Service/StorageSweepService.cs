using Akka.Actor;
using Dpr.Actors.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Service;

/// <summary>
/// Has the storage sweeper (<see cref="JobStorageSweeperActor"/>) delete the finished jobs past
/// <c>Dpr:ResultRetentionHours</c> with their results and blobs, and what a crash or a refused submission
/// left, once the actors run and then every hour, or every half retention when that is shorter (so what
/// is kept stays within one and a half retentions); the sweeper logs what went.
/// </summary>
public sealed class StorageSweepService(DprNode node, ILogger<StorageSweepService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromHours(Math.Min(1, node.Options.ResultRetentionHours / 2));
        using var timer = new PeriodicTimer(every);
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
                log.LogWarning("Storage sweep did not finish: {Reason}; the next one tries again in {Every}", e.Message, every);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
