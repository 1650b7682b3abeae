using Akka.Actor;
using Akka.Event;
using Dpr.Actors.Regions;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Sem;

namespace Dpr.Actors.Sem;

/// <summary>
/// Reads the SEM controller's monitor output line by line (PG036 reports, docs/sem.md), locates
/// every upset, and tells the owning partition's region manager, which records it and reloads the
/// module. After an uncorrectable upset the controller stops observing (PG036 "Classification"); once
/// the partition's reload is on record (its region manager's <c>SwapCompleted</c>), the controller is
/// told to observe again. An uncorrectable upset in the static design cannot be repaired by a partial:
/// the board is marked degraded (log, event stream, <see cref="GetHealth"/>) and observation stays off.
/// </summary>
public sealed class SemMonitorActor : ReceiveActor
{
    private readonly SemReportParser _parser;
    private readonly UpsetLocator _locator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<string> _degraded = [];
    private readonly Action? _resumeObservation;
    private readonly string _board;
    /// <summary>The partition whose reload the controller waits for after an uncorrectable upset in it, and whether its region has recorded the upset yet.</summary>
    private (string Partition, bool Recorded)? _awaitingReload;
    private long _upsets;
    /// <summary>Upsets by the partition they struck, <see cref="StaticRegion"/> for the static design.</summary>
    private readonly Dictionary<string, long> _byPartition = [];
    private string? _lastUpset;

    /// <param name="resumeObservation">Tells the controller to observe again (its command interface); null when dpr cannot.</param>
    public SemMonitorActor(Board board, IReadOnlyDictionary<string, IActorRef> regions, Action? resumeObservation = null)
    {
        _board = board.Name;
        _resumeObservation = resumeObservation;
        Receive<Observed.RegionEvent>(e => e.Board == _board && e.Partition == _awaitingReload?.Partition, e =>
        {
            switch (e.Event)
            {
                case RegionEvents.UpsetDetected:
                    _awaitingReload = (e.Partition, true);
                    break;
                // The reload after the upset (an earlier swap's completion does not count).
                case RegionEvents.SwapCompleted when _awaitingReload!.Value.Recorded:
                    _awaitingReload = null;
                    _log.Info("Partition {Partition} reloaded after an uncorrectable upset: the SEM controller observes again", e.Partition);
                    _resumeObservation!();
                    break;
            }
        });
        // Every other partition's events, and this one's while no reload is awaited: nothing to do (not "unhandled").
        Receive<Observed.RegionEvent>(_ => { });
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
        Receive<StaticReloaded>(reloaded =>
        {
            // A full load rewrote every frame of the static design: what an uncorrectable upset spoiled there is gone.
            if (_degraded.Count > 0)
            {
                _log.Info("Board no longer degraded: {Reason}", reloaded.Reason);
            }
            _degraded.Clear();
        });
        Receive<GetHealth>(_ => Sender.Tell(new Health(_degraded.Count == 0, _upsets, _degraded.ToList(), _parser.State?.ToString(),
            new Dictionary<string, long>(_byPartition), _lastUpset)));
    }

    public static Props Props(Board board, IReadOnlyDictionary<string, IActorRef> regions, Action? resumeObservation = null) =>
        Akka.Actor.Props.Create(() => new SemMonitorActor(board, regions, resumeObservation));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Observed.RegionEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Route(UpsetReport upset, IReadOnlyDictionary<string, IActorRef> regions)
    {
        _upsets++;
        var location = _locator.Locate(upset);
        var key = location.Partition?.Name ?? StaticRegion;
        _byPartition[key] = _byPartition.GetValueOrDefault(key) + 1;
        _lastUpset = $"{(upset.Corrected ? "corrected" : "uncorrectable")} upset in {location}";
        if (location.Partition is { } partition && upset.Frame is { } frame && regions.TryGetValue(partition.Name, out var region))
        {
            region.Tell(new RegionCommands.ReportUpset(frame.Value, upset.Word, upset.Bit, upset.Corrected));
            if (!upset.Corrected && _resumeObservation is not null)
            {
                _awaitingReload = (partition.Name, false);
            }
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

    /// <summary>The key of <see cref="Health.UpsetsByPartition"/> for upsets in the static design (or not located).</summary>
    public const string StaticRegion = "static";

    /// <summary>Monitor-interface output as it arrives (one or more lines).</summary>
    public sealed record Lines(IReadOnlyList<string> Text);

    public sealed record GetHealth;

    /// <summary>The static image was loaded again (a full load): the board is no longer degraded by upsets in the static design.</summary>
    public sealed record StaticReloaded(string Reason);

    /// <param name="Healthy">False once an upset the partitions cannot repair was reported.</param>
    /// <param name="UpsetsByPartition">Upsets reported per partition, <see cref="StaticRegion"/> for the static design.</param>
    /// <param name="LastUpset">The last upset reported, where and whether it was corrected.</param>
    public sealed record Health(bool Healthy, long Upsets, IReadOnlyList<string> Degraded, string? ControllerState,
        IReadOnlyDictionary<string, long>? UpsetsByPartition = null, string? LastUpset = null);

    public sealed record BoardDegraded(string Reason);
}
