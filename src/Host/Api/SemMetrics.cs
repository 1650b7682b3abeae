using Akka.Actor;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Host.Service;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Dpr.Host.Api;

/// <summary>
/// The SEM controller's metrics (docs/api.md) in the service's registry: its state and line status,
/// whether the board is degraded and the upsets per partition (read at each scrape), and every
/// configuration turn as it is taken (counted by outcome, its wait for idle timed, and logged).
/// </summary>
public sealed class SemMetrics
{
    private readonly Counter _turns;
    private readonly Histogram _idleWait;
    private readonly Gauge _state;
    private readonly Gauge _link;
    private readonly Gauge _degraded;
    private readonly Gauge _upsets;

    private SemMetrics(CollectorRegistry registry, DprNode node, ILogger log)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _turns = factory.CreateCounter("dpr_sem_turns_total", "Writes through the PCAP and their turn with the SEM controller, by outcome (written, write-failed, sem-not-idle).", "outcome");
        _idleWait = factory.CreateHistogram("dpr_sem_idle_wait_seconds", "From the idle command to the SEM controller's idle state, in turns that idled it.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 12) });
        _state = factory.CreateGauge("dpr_sem_state", "1 for the SEM controller's last reported state, 0 for the others.", "state");
        _link = factory.CreateGauge("dpr_sem_link", "1 for the status of the SEM controller's monitor line (none, waiting, responding, silent, missing), 0 for the others.", "status");
        _degraded = factory.CreateGauge("dpr_board_degraded", "1 once an upset the partitions cannot repair (static design) was reported, else 0.");
        _upsets = factory.CreateGauge("dpr_sem_upsets", "Upsets the SEM controller reported since the service started, per partition ('static' for the static design).", "partition");
        foreach (var turnOutcome in Enum.GetValues<SemTurnOutcome>())
        {
            _turns.WithLabels(BoardHealth.Outcome(turnOutcome));
        }
        if (node.SemTurns is { } turns)
        {
            turns.TurnTaken += turn => Taken(turn, log);
        }
        registry.AddBeforeCollectCallback(async cancel => await ScrapeAsync(node));
    }

    public static SemMetrics Attach(CollectorRegistry registry, DprNode node, ILogger log) => new(registry, node, log);

    private void Taken(SemTurn turn, ILogger log)
    {
        _turns.WithLabels(BoardHealth.Outcome(turn.Outcome)).Inc();
        if (turn.SemBefore == SemState.Observation)
        {
            _idleWait.Observe(turn.IdleWait.TotalSeconds);
        }
        if (turn.Outcome == SemTurnOutcome.Written)
        {
            log.LogInformation("Configuration turn for {Image}: SEM {SemBefore} idled in {IdleWaitMs} ms, PCAP written, ICAP given back (observation resumed: {Resumed})",
                turn.Image, turn.SemBefore, turn.IdleWait.TotalMilliseconds, turn.Resumed);
        }
        else
        {
            log.LogWarning("Configuration turn for {Image} {Outcome}: {Reason}", turn.Image, BoardHealth.Outcome(turn.Outcome), turn.Reason);
        }
    }

    private async Task ScrapeAsync(DprNode node)
    {
        var sem = node.Sem.Snapshot();
        foreach (var state in Enum.GetValues<SemState>())
        {
            _state.WithLabels(state.ToString()).Set(sem.State == state ? 1 : 0);
        }
        foreach (var status in Enum.GetValues<SemLinkStatus>())
        {
            _link.WithLabels(status.ToString().ToLowerInvariant()).Set(sem.Status == status ? 1 : 0);
        }
        try
        {
            var health = await BoardHealth.ReadAsync(node, TimeSpan.FromSeconds(1));
            _degraded.Set(health.Degraded ? 1 : 0);
            foreach (var (partition, count) in health.Sem.UpsetsByPartition)
            {
                _upsets.WithLabels(partition).Set(count);
            }
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            // Not started yet, or busy: the gauges keep their last values.
        }
    }
}
