using Dpr.Fabric.Ports;

namespace Dpr.TestKit.Scenarios;

/// <summary>
/// One step of a scenario against a <see cref="TestNode"/>: what a tenant, an operator, the fabric, the
/// journal or the machine does. <see cref="ScenarioRunner"/> draws lists of them from a seed, applies them
/// in order, and shrinks a list that breaks an invariant to the fewest steps that still break it.
/// </summary>
public abstract record ScenarioStep
{
    /// <summary>Upsets within a region's one-minute window past <c>RegionOptions.MaxUpsetReloadsPerMinute</c> (10) fault the partition.</summary>
    public const int StormUpsets = 11;

    /// <summary>A tenant submits a job for <paramref name="Module"/>; <paramref name="DataSeed"/> draws its tensors (<see cref="TestJobs.Sample"/>).</summary>
    public sealed record Submit(string Module, string Tenant, int DataSeed, bool CpuFallback) : ScenarioStep
    {
        public override string ToString() => $"Submit({Module}, {Tenant}, data {DataSeed}{(CpuFallback ? ", cpu fallback" : "")})";
    }

    /// <summary>The submitter cancels the <paramref name="Which"/>-th job it was told was accepted (modulo their number); a job no longer queued is not cancelled.</summary>
    public sealed record Cancel(int Which) : ScenarioStep
    {
        public override string ToString() => $"Cancel(job #{Which})";
    }

    /// <summary>An operator loads <paramref name="Module"/> into the partition and waits for the answer.</summary>
    public sealed record OperatorLoad(string Module) : ScenarioStep
    {
        public override string ToString() => $"OperatorLoad({Module})";
    }

    /// <summary>An operator resets the partition (it clears a fault; otherwise it records it empty).</summary>
    public sealed record Reset : ScenarioStep
    {
        public override string ToString() => "Reset";
    }

    /// <summary>The next write of the configuration port fails with <paramref name="Fault"/>.</summary>
    public sealed record PortFault(SimulatedFault Fault) : ScenarioStep
    {
        public override string ToString() => $"PortFault({Fault})";
    }

    /// <summary>
    /// One upset in the partition, reported by the SEM controller, between jobs: every accepted job has ended
    /// first (dpr does not hold results back until the SEM has scanned again: an upset during a job is the
    /// SEM's detection latency, a known limitation). Skipped while the controller does not observe.
    /// </summary>
    public sealed record Upset(bool Correctable) : ScenarioStep
    {
        public override string ToString() => $"Upset({(Correctable ? "correctable" : "uncorrectable")})";
    }

    /// <summary><see cref="StormUpsets"/> correctable upsets in a row in the partition, between jobs.</summary>
    public sealed record Storm : ScenarioStep
    {
        public override string ToString() => "Storm";
    }

    /// <summary>The next write to the jobs journal is refused.</summary>
    public sealed record JournalRefusal : ScenarioStep
    {
        public override string ToString() => "JournalRefusal(jobs)";
    }

    /// <summary>The process stops and starts again over the same journals: drained as <c>dpr serve</c> does (<paramref name="Graceful"/>), or killed.</summary>
    public sealed record Restart(bool Graceful) : ScenarioStep
    {
        public override string ToString() => Graceful ? "Restart(graceful)" : "Restart(crash)";
    }

    /// <summary>Virtual time moves on by <paramref name="Milliseconds"/>.</summary>
    public sealed record AdvanceTime(int Milliseconds) : ScenarioStep
    {
        public override string ToString() => $"AdvanceTime({Milliseconds} ms)";
    }
}
