using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Service;

/// <summary>
/// Deletes results older than <c>Dpr:ResultRetentionHours</c>: at start, then every hour. When the
/// results are in PostgreSQL and it cannot be reached, it tries again the next hour.
/// </summary>
public sealed class ResultPruner(DprNode node, ILogger<ResultPruner> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var pruned = node.Results.Prune(DateTimeOffset.UtcNow);
                if (pruned > 0)
                {
                    log.LogInformation("Deleted {Count} results older than {Hours} h", pruned, node.Options.ResultRetentionHours);
                }
            }
            catch (DbException e)
            {
                log.LogWarning("Results not pruned, trying again in an hour: {Cause}", Actors.Journal.JournalProbe.Describe(e));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
