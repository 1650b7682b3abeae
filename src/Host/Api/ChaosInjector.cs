using Dpr.Actors.Journal;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Api;

/// <summary>
/// Faults injected into the running service (docs/api.md, "Fault injection"): SEM upsets, port
/// faults and (with the SQLite journal) a journal outage, on the simulated board, never on real
/// hardware. Each injection is one Information line naming who injected what, and a count in
/// <c>dpr_chaos_injections_total</c>, so a fault seen later in the log or the swap history can be told
/// from a real one.
/// </summary>
public sealed class ChaosInjector : IDisposable
{
    /// <summary>Faults per request: enough to exhaust a swap's retries many times over, few enough that a typo cannot wedge the port for hours.</summary>
    public const int MaxCount = 100;

    /// <summary>A hang longer than this is not a hang but a dead port; the region manager's swap timeout (10 s) ends it earlier anyway.</summary>
    public const double MaxHangSeconds = 300;

    public const double DefaultHangSeconds = 30;

    /// <summary>
    /// Under 10 s the journals' writes wait; past it Akka.Persistence's write circuit breaker reports them failed (and
    /// opens after 10 failures), past 30 s Microsoft.Data.Sqlite gives up on them too. Five minutes covers every case.
    /// </summary>
    public const double MaxOutageSeconds = 300;

    public const double DefaultOutageSeconds = 10;

    private static readonly (string Name, SimulatedFault Fault)[] Kinds =
        [("fail", SimulatedFault.Fail), ("hang", SimulatedFault.Hang), ("partial", SimulatedFault.PartialWrite), ("corrupt", SimulatedFault.Corrupt)];

    private readonly DprNode _node;
    private readonly DprMetrics _metrics;
    private readonly ILogger<ChaosInjector> _log;
    private readonly SqliteJournalOutage? _outage;
    private string? _outageBy;

    public ChaosInjector(DprNode node, DprMetrics metrics, ILogger<ChaosInjector> log, IHostApplicationLifetime lifetime)
    {
        _node = node;
        _metrics = metrics;
        _log = log;
        if (node.Options.JournalSettings.Provider == JournalProvider.Sqlite)
        {
            _outage = new SqliteJournalOutage(node.Options.JournalSettings, TimeProvider.System);
            _outage.Ended += () => log.LogInformation("Chaos: the journal outage injected by {By} is over", _outageBy);
            // A stop drains: the last outcomes must reach the journal, not wait out an injected outage.
            lifetime.ApplicationStopping.Register(() => _outage.End());
        }
    }

    /// <summary>An upset in <paramref name="partition"/> (null: the static design), reported by the SEM controller at once; the service reacts as on a board.</summary>
    public InjectedUpset InjectUpset(string by, string? partition, bool correctable)
    {
        var upset = Strike(_node, partition, correctable);
        Injected(by, partition, upset);
        return upset;
    }

    /// <summary>
    /// A configuration bit flipped in <paramref name="partition"/> (null: the static design) of <paramref name="node"/>'s
    /// simulated board, reported by its SEM controller at once; on a fleet's board by the board's entity, which answers
    /// the node that took the request (<see cref="Injected"/> counts and logs it there).
    /// </summary>
    public static InjectedUpset Strike(DprNode node, string? partition, bool correctable)
    {
        var board = Simulated(node);
        var target = partition is null ? null : node.Regions.ContainsKey(partition)
            ? node.Board.Partition(partition)
            : throw ApiProblem.NotFound("partition", $"no partition '{partition}'; known: {string.Join(", ", node.Regions.Keys.Order(StringComparer.Ordinal))}");
        if (board.Sem.State != SemState.Observation)
        {
            throw ApiProblem.Conflict($"the SEM controller is not observing ({board.Sem.State}): after an uncorrectable upset it waits until the partition is reloaded (in the static design: until the service restarts); try again then");
        }
        try
        {
            return board.Strike(target, correctable);
        }
        catch (InvalidOperationException e)
        {
            // Another injection got there first.
            throw ApiProblem.Conflict(e.Message);
        }
    }

    /// <summary>An upset injected in <paramref name="target"/> (null: the static design): counted and logged.</summary>
    public void Injected(string by, string? target, InjectedUpset upset)
    {
        _metrics.ChaosInjected(upset.Correctable ? "sem-correctable" : "sem-uncorrectable");
        _log.LogInformation("Chaos: {By} injected {Kind} upset in {Target} at frame 0x{Frame:X8} word {Word} bit {Bit}",
            by, upset.Correctable ? "a correctable" : "an uncorrectable", target ?? "the static design", upset.Frame.Value, upset.Word, upset.Bit);
    }

    /// <summary>The next <paramref name="count"/> port writes fail as <paramref name="kind"/> says.</summary>
    public ChaosPortFaultsDto InjectPortFaults(string by, string? kind, int count, double? hangSeconds)
    {
        var faults = PortFaults();
        var fault = Kinds.FirstOrDefault(k => string.Equals(k.Name, kind, StringComparison.OrdinalIgnoreCase)) is { Name: not null } known
            ? known.Fault
            : throw ApiProblem.BadInput("kind", $"expected {string.Join(", ", Kinds.Select(k => k.Name))}, found '{kind}'");
        if (count is < 1 or > MaxCount)
        {
            throw ApiProblem.BadInput("count", $"expected 1 to {MaxCount}, found {count}");
        }
        TimeSpan? hang = null;
        if (fault == SimulatedFault.Hang)
        {
            var seconds = hangSeconds ?? DefaultHangSeconds;
            hang = seconds is > 0 and <= MaxHangSeconds && double.IsFinite(seconds)
                ? TimeSpan.FromSeconds(seconds)
                : throw ApiProblem.BadInput("hangSeconds", $"expected more than 0 and at most {MaxHangSeconds}, found {seconds}");
        }
        else if (hangSeconds is not null)
        {
            throw ApiProblem.BadInput("hangSeconds", $"only a hang has a duration, not {Name(fault)}");
        }
        for (var i = 0; i < count; i++)
        {
            faults.OnNextWrite(fault, hang);
        }
        _metrics.ChaosInjected("port-" + Name(fault), count);
        _log.LogInformation("Chaos: {By} injected {Kind} into the next {Count} port writes{Hang}",
            by, Name(fault), count, hang is { } h ? $" (each stalls {h.TotalSeconds:0.###} s)" : "");
        var added = Enumerable.Repeat(Dto(new PlannedFault(fault, hang)), count).ToList();
        return new ChaosPortFaultsDto(added, [.. faults.Pending.Select(Dto)]);
    }

    /// <summary>The SQLite journal's databases are locked by another writer for <paramref name="seconds"/> (<see cref="SqliteJournalOutage"/>).</summary>
    public JournalOutageDto StartJournalOutage(string by, double? seconds)
    {
        Simulated();
        var outage = _outage ?? throw new ApiProblem(StatusCodes.Status409Conflict, "journal",
            $"a journal outage is simulated on the SQLite journal only (a write lock held on its files); this service's journal is {_node.Options.JournalDescription}: stop the server or block its port instead");
        var duration = seconds ?? DefaultOutageSeconds;
        if (duration is not (>= 1 and <= MaxOutageSeconds) || !double.IsFinite(duration))
        {
            throw ApiProblem.BadInput("seconds", $"expected 1 to {MaxOutageSeconds}, found {duration}");
        }
        DateTimeOffset until;
        try
        {
            until = outage.Start(TimeSpan.FromSeconds(duration));
        }
        catch (InvalidOperationException e)
        {
            throw ApiProblem.Conflict(e.Message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw ApiProblem.Conflict($"the journal's write lock could not be taken: {e.Message}; try again");
        }
        _outageBy = by;
        _metrics.ChaosInjected("journal-outage");
        _log.LogInformation("Chaos: {By} injected a journal outage of {Seconds} s (the SQLite journal is locked by another writer until {Until:O})", by, duration, until);
        return new JournalOutageDto("sqlite", until);
    }

    public ChaosStateDto State() => new([.. PortFaults().Pending.Select(Dto)], Simulated().Sem.State.ToString(), _outage?.Until);

    /// <summary>Withdraws every port fault not yet hit and ends a journal outage. An upset already reported is not undone: the service deals with it.</summary>
    public ChaosClearedDto Clear(string by)
    {
        var withdrawn = PortFaults().Clear();
        var outage = _outage?.End() ?? false;
        _log.LogInformation("Chaos: {By} cleared the injected faults ({Count} port faults withdrawn{Outage})", by, withdrawn.Count, outage ? ", the journal outage ended" : "");
        return new ChaosClearedDto([.. withdrawn.Select(Dto)], outage);
    }

    public void Dispose() => _outage?.Dispose();

    /// <summary>Refuses (409, field <c>port</c>) unless the board is simulated: asked first, before the body is read.</summary>
    public void EnsureSimulated() => Simulated();

    /// <summary>The simulated board, or the refusal that says why a real one is never injected into.</summary>
    private SimulatedBoard Simulated() => Simulated(_node);

    private static SimulatedBoard Simulated(DprNode node) => node.Simulated ?? throw new ApiProblem(StatusCodes.Status409Conflict, "port",
        $"faults are injected only into the simulated board; this service drives {node.Board.Name} through its {node.Port.Name} port (Dpr:Port={node.Options.Port}), real hardware is never faulted on purpose");

    private FaultPlan PortFaults()
    {
        Simulated();
        return _node.PortFaults ?? throw new InvalidOperationException("a simulated board is served with a fault plan of its own (DprNode.Create)");
    }

    private static string Name(SimulatedFault fault) => Kinds.First(k => k.Fault == fault).Name;

    private static PendingPortFaultDto Dto(PlannedFault fault) => new(Name(fault.Fault), fault.HangFor?.TotalSeconds, fault.Write, fault.Module);
}
