using Akka.Actor;
using Akka.Event;
using Dpr.Actors.Regions;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Sem;

namespace Dpr.Actors.Sem;

/// <summary>
/// Reads the SEM controller's monitor output line by line (PG036 reports, docs/sem.md), locates
/// every upset, and tells the owning partition's region manager, which records it and reloads the
/// module. An uncorrectable upset in the static design cannot be repaired by a partial: the board
/// is marked degraded (log, event stream, <see cref="GetHealth"/>).
/// </summary>
public sealed class SemMonitorActor : ReceiveActor
{
    private readonly SemReportParser _parser;
    private readonly UpsetLocator _locator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<string> _degraded = [];
    private long _upsets;

    public SemMonitorActor(Board board, IReadOnlyDictionary<string, IActorRef> regions)
    {
        _parser = new SemReportParser(board.Device);
        _locator = new UpsetLocator(board);
        Receive<Lines>(lines =>
        {
            foreach (var line in lines.Text)
            {
                IReadOnlyList<SemEvent> events;
                try
                {
                    events = _parser.Push(line);
                }
                catch (SemReportException e)
                {
                    _log.Warning("Unreadable SEM report line: {Reason}", e.Message);
                    continue;
                }
                foreach (var upset in events.OfType<UpsetReport>())
                {
                    Route(upset, regions);
                }
            }
        });
        Receive<GetHealth>(_ => Sender.Tell(new Health(_degraded.Count == 0, _upsets, _degraded.ToList(), _parser.State?.ToString())));
    }

    public static Props Props(Board board, IReadOnlyDictionary<string, IActorRef> regions) =>
        Akka.Actor.Props.Create(() => new SemMonitorActor(board, regions));

    private void Route(UpsetReport upset, IReadOnlyDictionary<string, IActorRef> regions)
    {
        _upsets++;
        var location = _locator.Locate(upset);
        if (location.Partition is { } partition && upset.Frame is { } frame && regions.TryGetValue(partition.Name, out var region))
        {
            region.Tell(new RegionCommands.ReportUpset(frame.Value, upset.Word, upset.Bit, upset.Corrected));
            return;
        }
        if (upset.Corrected)
        {
            _log.Info("Corrected upset in {Location}", location);
            return;
        }
        var reason = $"uncorrectable upset in {location}: the static design needs a full reload";
        _degraded.Add(reason);
        _log.Error("Board degraded: {Reason}", reason);
        Context.System.EventStream.Publish(new BoardDegraded(reason));
    }

    /// <summary>Monitor-interface output as it arrives (one or more lines).</summary>
    public sealed record Lines(IReadOnlyList<string> Text);

    public sealed record GetHealth;

    /// <param name="Healthy">False once an upset the partitions cannot repair was reported.</param>
    public sealed record Health(bool Healthy, long Upsets, IReadOnlyList<string> Degraded, string? ControllerState);

    public sealed record BoardDegraded(string Reason);
}
