using Dpr.Host.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Service;

/// <summary>Stores the entries <c>dpr tenants</c> left in the data directory's <see cref="AuditInbox"/> in the audit trail, once a second.</summary>
/// <remarks>The <see cref="AuditLog"/> is resolved at the first entry, not when the host starts its services: it needs the actor system.</remarks>
public sealed class AuditInboxService(ServiceOptions options, IServiceProvider services, JournalStatus journal, ILogger<AuditInboxService> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, stoppingToken);
                if (journal.IsUp)
                {
                    await StoreAsync();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Akka.Actor.AskTimeoutException or Akka.Hosting.MissingActorRegistryEntryException)
            {
                log.LogWarning("The audit inbox {Path} could not be stored yet: {Reason}", Path.Combine(options.DataDirectory, AuditInbox.FileName), e.Message);
            }
        }
    }

    private async Task StoreAsync()
    {
        if (AuditInbox.Take(options.DataDirectory) is not { } entries)
        {
            return;
        }
        var audit = services.GetRequiredService<AuditLog>();
        var stored = 0;
        try
        {
            foreach (var entry in entries)
            {
                await audit.StoreAsync(entry);
                stored++;
            }
        }
        finally
        {
            AuditInbox.Done(options.DataDirectory, entries, stored);
        }
    }
}
