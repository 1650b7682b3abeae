using Dpr.Fabric.Convolution;
using Dpr.Fabric.Ports;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// One step of an interleaving run against the embedded runtime: what a tenant, an operator, the
/// fabric or the machine does, then a pause of <see cref="PauseMs"/> before the next step (the pause
/// only varies the interleaving; nothing is asserted on time).
/// </summary>
public abstract record InterleavingOperation(int PauseMs)
{
    /// <summary>Upsets within the region's one-minute window past <c>RegionOptions.MaxUpsetReloadsPerMinute</c> (10) fault the partition.</summary>
    public const int StormUpsets = 11;

    private static readonly string[] Tenants = ["alice", "bob", "carol"];

    private static readonly SimulatedFault[] PortFaults = [SimulatedFault.Fail, SimulatedFault.PartialWrite, SimulatedFault.Corrupt];

    /// <summary>Every kind of step, for runs that must cover each.</summary>
    public static IReadOnlyList<Type> Kinds { get; } =
        [typeof(Submit), typeof(OperatorLoad), typeof(Reset), typeof(Upset), typeof(UpsetStorm), typeof(PortFault), typeof(Restart)];

    /// <summary>A tenant submits a job for <paramref name="Module"/>; <paramref name="DataSeed"/> draws its tensors.</summary>
    public sealed record Submit(string Module, string Tenant, int DataSeed, bool CpuFallback, int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => $"Submit({Module}, {Tenant}, data {DataSeed}{(CpuFallback ? ", cpu fallback" : "")})";
    }

    /// <summary>An operator loads <paramref name="Module"/> into the partition and waits for the answer.</summary>
    public sealed record OperatorLoad(string Module, int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => $"OperatorLoad({Module})";
    }

    /// <summary>An operator resets the partition (it clears a fault; otherwise it changes nothing).</summary>
    public sealed record Reset(int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => "Reset";
    }

    /// <summary>One configuration upset in the <paramref name="Frame"/>-th frame of the partition, reported by the SEM controller.</summary>
    public sealed record Upset(int Frame, bool Correctable, int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => $"Upset(frame {Frame}, {(Correctable ? "correctable" : "uncorrectable")})";
    }

    /// <summary><see cref="StormUpsets"/> correctable upsets in a row from the <paramref name="Frame"/>-th frame on.</summary>
    public sealed record UpsetStorm(int Frame, int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => $"UpsetStorm(frame {Frame})";
    }

    /// <summary>The next write of the configuration port fails with <paramref name="Fault"/>.</summary>
    public sealed record PortFault(SimulatedFault Fault, int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => $"PortFault({Fault})";
    }

    /// <summary>
    /// The process stops and starts again on the same data directory: after draining as <c>dpr serve</c>
    /// does on a shutdown (<paramref name="Drain"/>), or abruptly, as a crash would.
    /// </summary>
    public sealed record Restart(bool Drain, int PauseMs) : InterleavingOperation(PauseMs)
    {
        public override string ToString() => Drain ? "Restart(drained)" : "Restart(crash)";
    }

    /// <summary>
    /// 10 to 40 steps drawn from <paramref name="seed"/>, half of them submissions. With
    /// <paramref name="everyKind"/> a step of each missing kind is inserted at a drawn position.
    /// </summary>
    public static IReadOnlyList<InterleavingOperation> Generate(int seed, bool everyKind = false)
    {
        // Spread the seed first: System.Random's first draws from consecutive seeds are nearly the same.
        var rng = new Random(unchecked((int)((uint)seed * 2654435761u)));
        var operations = Enumerable.Range(0, rng.Next(10, 41)).Select(_ => Draw(rng, rng.Next(100))).ToList();
        if (everyKind)
        {
            foreach (var (kind, roll) in Kinds.Zip([0, 50, 60, 66, 74, 78, 88]))
            {
                if (!operations.Any(kind.IsInstanceOfType))
                {
                    operations.Insert(rng.Next(operations.Count + 1), Draw(rng, roll));
                }
            }
        }
        return operations;
    }

    /// <summary>The step for a roll in [0, 100): the weights of each kind are the widths of its range.</summary>
    private static InterleavingOperation Draw(Random rng, int roll)
    {
        int[] pauses = [0, 0, 1, 5, 20];
        var pause = pauses[rng.Next(pauses.Length)];
        var module = ConvModule.All[rng.Next(ConvModule.All.Count)].Name.Value;
        return roll switch
        {
            < 50 => new Submit(module, Tenants[rng.Next(Tenants.Length)], rng.Next(), rng.Next(8) == 0, pause),
            < 60 => new OperatorLoad(module, pause),
            < 66 => new Reset(pause),
            < 74 => new Upset(rng.Next(1000), rng.Next(2) == 0, pause),
            < 78 => new UpsetStorm(rng.Next(1000), pause),
            < 88 => new PortFault(PortFaults[rng.Next(PortFaults.Length)], pause),
            _ => new Restart(rng.Next(2) == 0, pause),
        };
    }
}
