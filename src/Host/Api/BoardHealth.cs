using Akka.Actor;
using Dpr.Actors.Sem;
using Dpr.Fabric.Ports;
using Dpr.Host.Service;

namespace Dpr.Host.Api;

/// <summary>
/// The board's health as the SEM controller sees it: the controller's line and state (from
/// <see cref="Fabric.Sem.SemController"/>), the upsets and the degraded verdict (from the
/// <see cref="SemMonitorActor"/>), and the configuration turns (from <see cref="SemTurns"/>). Read by
/// <c>GET /v1/board</c>, <c>/readyz</c> and the metrics.
/// </summary>
public static class BoardHealth
{
    /// <exception cref="AskTimeoutException">The SEM monitor did not answer within <paramref name="timeout"/>.</exception>
    public static async Task<BoardHealthDto> ReadAsync(DprNode node, TimeSpan timeout)
    {
        var health = await node.SemMonitor.Ask<SemMonitorActor.Health>(new SemMonitorActor.GetHealth(), timeout);
        var sem = node.Sem.Snapshot();
        var turns = node.SemTurns;
        return new BoardHealthDto(
            node.Board.Name,
            node.Board.Device.Name,
            node.Port.Name,
            !health.Healthy,
            health.Degraded,
            new SemHealthDto(sem.Link, Lower(sem.Status.ToString()), sem.State?.ToString(), sem.LastLine, sem.LastHeardAt, sem.Reason,
                health.Upsets, health.UpsetsByPartition ?? new Dictionary<string, long>(), health.LastUpset),
            turns is null ? null : new SemTurnsDto(turns.Taken, turns.Refused, turns.Last is { } last ? Turn(last) : null),
            turns is null ? null : turns.PcapSelected ? "pcap" : "icap",
            new StaticDesignDto(Lower(node.StaticDesign.Status.ToString()), node.Board.StaticDesign, node.StaticDesign.Reason));
    }

    public static SemTurnDto Turn(SemTurn turn) => new(turn.Image, turn.SemBefore?.ToString(), turn.IdleWait.TotalMilliseconds, turn.Resumed, Outcome(turn.Outcome), turn.Reason, turn.At);

    /// <summary>"written", "write-failed", "sem-not-idle": the label of the turn metric and the API's outcome.</summary>
    public static string Outcome(SemTurnOutcome outcome) => outcome switch
    {
        SemTurnOutcome.Written => "written",
        SemTurnOutcome.WriteFailed => "write-failed",
        _ => "sem-not-idle",
    };

    private static string Lower(string name) => name.ToLowerInvariant();
}
