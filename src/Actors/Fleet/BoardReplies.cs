using MessagePack;

namespace Dpr.Actors.Fleet;

public static class BoardReplies
{
    /// <summary>
    /// What fleet placement needs of a board: the modules its partitions hold, how many of them are
    /// empty, and its queued jobs, in all and per module. <paramref name="Node"/> is the cluster member
    /// that hosts it now.
    /// </summary>
    [MessagePackObject]
    public sealed record Load(
        [property: Key(0)] string Board,
        [property: Key(1)] string Node,
        [property: Key(2)] string[] Loaded,
        [property: Key(3)] int Partitions,
        [property: Key(4)] int IdlePartitions,
        [property: Key(5)] Dictionary<string, int> Queued) : IDprMessage
    {
        [IgnoreMember]
        public int QueuedJobs => Queued.Values.Sum();

        /// <summary>Holds <paramref name="module"/> or has jobs queued for it (so will load it).</summary>
        public bool Serves(string module) => Loaded.Contains(module, StringComparer.Ordinal) || Queued.GetValueOrDefault(module) > 0;
    }
}
