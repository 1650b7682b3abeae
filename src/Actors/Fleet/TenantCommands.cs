using Dpr.Actors.Jobs;
using MessagePack;

namespace Dpr.Actors.Fleet;

/// <summary>What a fleet node asks of a tenant's job intake (sharded by tenant, docs/fleet.md).</summary>
public static class TenantCommands
{
    /// <summary>A job of <see cref="Tenant"/> to place on a board of the fleet; answered as <see cref="JobCommands.Submit"/> is.</summary>
    /// <param name="NotAfter">When the caller stops waiting for the answer: a submission still waiting behind the
    /// tenant's others then is refused unplaced, rather than placed after its caller was told it was not.</param>
    [MessagePackObject]
    public sealed record Submit(
        [property: Key(0)] string Tenant,
        [property: Key(1)] JobCommands.Submit Job,
        [property: Key(2)] DateTimeOffset NotAfter) : ITenantCommand;
}
