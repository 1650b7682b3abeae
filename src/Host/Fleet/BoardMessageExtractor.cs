using Akka.Cluster.Sharding;
using Dpr.Actors.Fleet;

namespace Dpr.Host.Fleet;

/// <summary>
/// The sharding key of the fleet: the board id is the entity id and the shard id alike, so each board
/// is placed, moved and rebalanced over the nodes on its own.
/// </summary>
public sealed class BoardMessageExtractor : IMessageExtractor
{
    // Sharding's own StartEntity (remember-entities) is handled by Akka.NET before this (AK2001).
    public string? EntityId(object message) => (message as IBoardCommand)?.Board;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;
}
