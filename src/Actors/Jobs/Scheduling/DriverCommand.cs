using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>What the <see cref="SchedulingDriver"/> asks its owner to do, in order.</summary>
public abstract record DriverCommand
{
    private DriverCommand()
    {
    }

    /// <summary>Run the job on the module <paramref name="Partition"/> holds; <paramref name="Attempt"/> counts every start of it.</summary>
    public sealed record Start(QueuedJob Job, PartitionName Partition, int Attempt) : DriverCommand;

    /// <summary>Run the job on the CPU kernel.</summary>
    public sealed record StartOnCpu(QueuedJob Job, int Attempt) : DriverCommand;

    /// <summary>Ask the partition's region manager to load <paramref name="Module"/>; its answer goes to <see cref="SchedulingDriver.LoadAnswered"/>.
    /// <paramref name="Prefetch"/>: a speculative load ahead of need, which evicts no module with queued jobs.</summary>
    public sealed record Load(PartitionName Partition, ModuleName Module, bool Prefetch = false) : DriverCommand;

    /// <summary>Ask the partition's region manager for its state; the reply goes to <see cref="SchedulingDriver.Observe"/>.</summary>
    public sealed record AskState(PartitionName Partition) : DriverCommand;

    /// <summary>The job ends as failed with <paramref name="Reason"/>; the driver has forgotten it.</summary>
    public sealed record Fail(JobId Job, string Reason) : DriverCommand;

    /// <summary>Call <see cref="SchedulingDriver.Tick"/> at <paramref name="At"/>.</summary>
    public sealed record WakeAt(DateTimeOffset At) : DriverCommand;
}
