using System.Data.Common;
using System.Diagnostics;
using Dpr.Actors.Journal;
using Dpr.Host.Api;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dpr.Host.Service;

/// <summary>
/// Checks the journal's database (<see cref="JournalProbe"/>) at start and every <c>Dpr:JournalProbeSeconds</c>,
/// and keeps <see cref="JournalStatus"/>, the metrics and the log up to date: while it is down the cause
/// is logged once per probe, whatever the actors do meanwhile. The first time it is reached the tables
/// are created (<see cref="JournalSchema"/>). Registered before the actor system, so on a normal start
/// the tables exist before any journal is used; the HTTP server still starts when the database is down,
/// so <c>/readyz</c> can say why. With <c>Dpr:StartupTimeoutSeconds</c>, a journal never reached within
/// it stops the process, and <c>dpr serve</c> exits naming the cause.
/// </summary>
public sealed class JournalHealth(ServiceOptions options, JournalStatus status, DprMetrics metrics, IHostApplicationLifetime lifetime, ILogger<JournalHealth> log)
    : BackgroundService
{
    private readonly JournalSettings _journal = options.JournalSettings;
    private readonly long _started = Stopwatch.GetTimestamp();
    private bool _everUp;

    /// <summary>When the current outage was first seen (a <see cref="Stopwatch"/> timestamp); 0 while the journal is up.</summary>
    private long _downSince;

    /// <summary>The first probe, before the hosted services after this one (the actor system) start.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ProbeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.JournalProbeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ProbeAsync(stoppingToken);
                if (!_everUp && options.StartupTimeout is { } timeout && Stopwatch.GetElapsedTime(_started) >= timeout)
                {
                    var message = $"the journal was not reachable within {options.StartupTimeoutSeconds:0.###} s (Dpr:StartupTimeoutSeconds): {status.Reason}";
                    status.FailStartup(message);
                    log.LogCritical("Stopping: {Failure}", message);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ProbeAsync(CancellationToken cancel)
    {
        try
        {
            await JournalProbe.CheckAsync(_journal, options.JournalProbeInterval, cancel);
            if (!_everUp)
            {
                await JournalSchema.EnsureCreatedAsync(_journal, cancel);
            }
        }
        catch (Exception e) when (e is JournalUnavailableException or DbException or TimeoutException)
        {
            Down(e is JournalUnavailableException ? e.Message : JournalProbe.Describe(e));
            return;
        }
        if (_downSince != 0)
        {
            // Connections pooled before the outage are likely dead (a restarted server closed them), and
            // the first write on each would fail after the journal is back: they are dropped instead.
            NpgsqlConnection.ClearAllPools();
            log.LogInformation("Journal reachable after {DownSeconds:0.#} s unavailable", Stopwatch.GetElapsedTime(_downSince).TotalSeconds);
            _downSince = 0;
        }
        _everUp = true;
        status.Up();
        metrics.JournalProbed(up: true);
    }

    private void Down(string reason)
    {
        if (_downSince == 0)
        {
            _downSince = Stopwatch.GetTimestamp();
        }
        status.Down(reason);
        metrics.JournalProbed(up: false);
        log.LogWarning("Journal unavailable: {Cause} (checked every {ProbeSeconds} s; {Absorbed} failure reports of actors not logged meanwhile)",
            reason, options.JournalProbeSeconds, status.TakeAbsorbed());
    }
}
