using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Api;

/// <summary>
/// Faults injected into the running service (docs/api.md, "Fault injection"): SEM upsets and port
/// faults on the simulated board, never on real hardware. Each injection is one Information line
/// naming who injected what, and a count in <c>dpr_chaos_injections_total</c>, so a fault seen later
/// in the log or the swap history can be told from a real one.
/// </summary>
public sealed class ChaosInjector(DprNode node, DprMetrics metrics, ILogger<ChaosInjector> log)
{
    /// <summary>Faults per request: enough to exhaust a swap's retries many times over, few enough that a typo cannot wedge the port for hours.</summary>
    public const int MaxCount = 100;

    /// <summary>A hang longer than this is not a hang but a dead port; the region manager's swap timeout (10 s) ends it earlier anyway.</summary>
    public const double MaxHangSeconds = 300;

    public const double DefaultHangSeconds = 30;

    private static readonly (string Name, SimulatedFault Fault)[] Kinds =
        [("fail", SimulatedFault.Fail), ("hang", SimulatedFault.Hang), ("partial", SimulatedFault.PartialWrite), ("corrupt", SimulatedFault.Corrupt)];

    /// <summary>An upset in <paramref name="partition"/> (null: the static design), reported by the SEM controller at once; the service reacts as on a board.</summary>
    public InjectedUpset InjectUpset(string by, string? partition, bool correctable)
    {
        var board = Simulated();
        var target = partition is null ? null : node.Regions.ContainsKey(partition)
            ? node.Board.Partition(partition)
            : throw ApiProblem.NotFound("partition", $"no partition '{partition}'; known: {string.Join(", ", node.Regions.Keys.Order(StringComparer.Ordinal))}");
        if (board.Sem.State != SemState.Observation)
        {
            throw ApiProblem.Conflict($"the SEM controller is not observing ({board.Sem.State}): after an uncorrectable upset it waits until the partition is reloaded (in the static design: until the service restarts); try again then");
        }
        InjectedUpset upset;
        try
        {
            upset = board.Strike(target, correctable);
        }
        catch (InvalidOperationException e)
        {
            // Another injection got there first.
            throw ApiProblem.Conflict(e.Message);
        }
        var kind = correctable ? "sem-correctable" : "sem-uncorrectable";
        metrics.ChaosInjected(kind);
        log.LogInformation("Chaos: {By} injected {Kind} upset in {Target} at frame 0x{Frame:X8} word {Word} bit {Bit}",
            by, correctable ? "a correctable" : "an uncorrectable", partition ?? "the static design", upset.Frame.Value, upset.Word, upset.Bit);
        return upset;
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
        metrics.ChaosInjected("port-" + Name(fault), count);
        log.LogInformation("Chaos: {By} injected {Kind} into the next {Count} port writes{Hang}",
            by, Name(fault), count, hang is { } h ? $" (each stalls {h.TotalSeconds:0.###} s)" : "");
        var added = Enumerable.Repeat(Dto(new PlannedFault(fault, hang)), count).ToList();
        return new ChaosPortFaultsDto(added, [.. faults.Pending.Select(Dto)]);
    }

    public ChaosStateDto State() => new([.. PortFaults().Pending.Select(Dto)], Simulated().Sem.State.ToString());

    /// <summary>Withdraws every port fault not yet hit. An upset already reported is not undone: the service deals with it.</summary>
    public ChaosClearedDto Clear(string by)
    {
        var withdrawn = PortFaults().Clear();
        log.LogInformation("Chaos: {By} cleared the injected faults ({Count} port faults withdrawn)", by, withdrawn.Count);
        return new ChaosClearedDto([.. withdrawn.Select(Dto)]);
    }

    /// <summary>Refuses (409, field <c>port</c>) unless the board is simulated: asked first, before the body is read.</summary>
    public void EnsureSimulated() => Simulated();

    /// <summary>The simulated board, or the refusal that says why a real one is never injected into.</summary>
    private SimulatedBoard Simulated() => node.Simulated ?? throw new ApiProblem(StatusCodes.Status409Conflict, "port",
        $"faults are injected only into the simulated board; this service drives {node.Board.Name} through its {node.Port.Name} port (Dpr:Port={node.Options.Port}), real hardware is never faulted on purpose");

    private FaultPlan PortFaults()
    {
        Simulated();
        return node.PortFaults ?? throw new InvalidOperationException("a simulated board is served with a fault plan of its own (DprNode.Create)");
    }

    private static string Name(SimulatedFault fault) => Kinds.First(k => k.Fault == fault).Name;

    private static PendingPortFaultDto Dto(PlannedFault fault) => new(Name(fault.Fault), fault.HangFor?.TotalSeconds, fault.Write, fault.Module);
}
