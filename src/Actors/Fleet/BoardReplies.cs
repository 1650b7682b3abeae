using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using MessagePack;

namespace Dpr.Actors.Fleet;

public static class BoardReplies
{
    /// <summary>A command the board refused as the HTTP API would on a single node: the status, the field at fault and why.</summary>
    [MessagePackObject]
    public sealed record Refused(
        [property: Key(0)] int Status,
        [property: Key(1)] string Field,
        [property: Key(2)] string Reason) : IDprMessage;

    /// <summary>The configuration bit a <see cref="BoardCommands.StrikeRegion"/> flipped: frame address, word and bit.</summary>
    [MessagePackObject]
    public sealed record Struck(
        [property: Key(0)] uint Frame,
        [property: Key(1)] int Word,
        [property: Key(2)] int Bit) : IDprMessage;

    /// <summary>A board's metrics in Prometheus' text format (the answer to <see cref="BoardCommands.GetMetrics"/>).</summary>
    [MessagePackObject]
    public sealed record Metrics(
        [property: Key(0)] string Board,
        [property: Key(1)] string Text) : IDprMessage;

    /// <summary>A board's partitions (the answer to <see cref="BoardCommands.GetRegions"/>).</summary>
    [MessagePackObject]
    public sealed record Regions(
        [property: Key(0)] string Board,
        [property: Key(1)] RegionReplies.State[] States) : IDprMessage;

    /// <summary>
    /// What fleet placement needs of a board: the modules its partitions hold, how many of them are
    /// empty, and its queued jobs, in all and per module. <paramref name="Node"/> is the cluster member
    /// that hosts it now.
    /// </summary>
    /// <param name="QueuedWork">The board time the queued jobs ask for per module, as the model estimates each
    /// (<see cref="Jobs.Scheduling.RunTimeEstimator.BoardTime"/>).</param>
    /// <param name="OpenJobs">Open jobs per tenant (<see cref="JobReplies.QueueDepths.OpenJobs"/>).</param>
    /// <param name="OpenWork">Their board time per tenant.</param>
    [MessagePackObject]
    public sealed record Load(
        [property: Key(0)] string Board,
        [property: Key(1)] string Node,
        [property: Key(2)] string[] Loaded,
        [property: Key(3)] int Partitions,
        [property: Key(4)] int IdlePartitions,
        [property: Key(5)] Dictionary<string, int> Queued,
        [property: Key(6)] Dictionary<string, TimeSpan> QueuedWork,
        [property: Key(7)] Dictionary<string, int> OpenJobs,
        [property: Key(8)] Dictionary<string, TimeSpan> OpenWork) : IDprMessage
    {
        /// <summary>What the fleet's intake counts against each tenant's quotas: the open jobs of every board that answered.</summary>
        public static TenantLoad OpenOf(string tenant, IEnumerable<Load> boards) =>
            boards.Aggregate(default(TenantLoad), (sum, b) => sum + new TenantLoad(b.OpenJobs.GetValueOrDefault(tenant), b.OpenWork.GetValueOrDefault(tenant)));

        [IgnoreMember]
        public int QueuedJobs => Queued.Values.Sum();

        /// <summary>The queued work per partition: roughly how long until a partition of this board is free.</summary>
        [IgnoreMember]
        public TimeSpan Backlog => TimeSpan.FromTicks(QueuedWork.Values.Sum(w => w.Ticks) / Math.Max(1, Partitions));

        /// <summary>Holds <paramref name="module"/> or has jobs queued for it (so will load it).</summary>
        public bool Serves(string module) => Loaded.Contains(module, StringComparer.Ordinal) || Queued.GetValueOrDefault(module) > 0;

        /// <summary>How many modules it serves: those its partitions hold and those it has jobs queued for.</summary>
        [IgnoreMember]
        public int ServedModules => Loaded.Union(Queued.Where(q => q.Value > 0).Select(q => q.Key), StringComparer.Ordinal).Count();

        /// <summary>
        /// When this board would start a job of <paramref name="module"/> queued now, if its partitions served the
        /// queue from now on: its queued work per partition and a swap for each module that work needs (those
        /// queued, and <paramref name="module"/>, that no partition holds). Its scheduler holds jobs until their
        /// module is due (docs/scheduler.md), so the job may start later than this, but within the aging bound
        /// only if this fits in it.
        /// </summary>
        public TimeSpan PredictedStart(string module, TimeSpan swapCost)
        {
            var loads = Queued.Where(q => q.Value > 0).Select(q => q.Key).Append(module)
                .Distinct(StringComparer.Ordinal).Count(m => !Loaded.Contains(m, StringComparer.Ordinal));
            return Backlog + swapCost * loads / Math.Max(1, Partitions);
        }
    }
}
