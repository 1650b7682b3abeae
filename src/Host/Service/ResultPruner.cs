using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Service;

/// <summary>Deletes results older than <c>Dpr:ResultRetentionHours</c>: at start, then every hour.</summary>
public sealed class ResultPruner(DprNode node, ILogger<ResultPruner> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            var pruned = node.Results.Prune(DateTimeOffset.UtcNow);
            if (pruned > 0)
            {
                log.LogInformation("Deleted {Count} results older than {Hours} h", pruned, node.Options.ResultRetentionHours);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
