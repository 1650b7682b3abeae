using Dpr.Actors.Regions;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// A region manager's word on its partition: its state after its <paramref name="SequenceNr"/>-th event,
/// from the incarnation (one start of the actor) <paramref name="Incarnation"/>. A later sequence number of
/// the same incarnation supersedes an earlier one; a new incarnation supersedes everything.
/// </summary>
public sealed record RegionObservation(PartitionName Partition, Guid Incarnation, long SequenceNr, RegionStatus Status, ModuleName? Module, DateTimeOffset? LoadedAt)
{
    public static RegionObservation From(RegionReplies.State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(new PartitionName(state.Partition), state.Incarnation, state.SequenceNr, state.Status, state.Module is { } m ? new ModuleName(m) : null, state.LoadedAt);
    }
}
