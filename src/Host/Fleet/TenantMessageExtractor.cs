using Akka.Cluster.Sharding;
using Dpr.Actors.Fleet;

namespace Dpr.Host.Fleet;

/// <summary>
/// The sharding key of the fleet's job intake: the tenant is the entity id, so one actor decides all of a tenant's
/// submissions; tenants are spread over <see cref="Shards"/> shards by a stable hash of their name, so sharding
/// places and rebalances groups of tenants over the nodes rather than one shard per tenant.
/// </summary>
public sealed class TenantMessageExtractor() : HashCodeMessageExtractor(Shards)
{
    /// <summary>More than the nodes of a fleet (a few to tens), few enough that each shard holds several tenants' intakes.</summary>
    public const int Shards = 32;

    public override string? EntityId(object message) => (message as ITenantCommand)?.Tenant;
}
