using Dpr.Actors.Jobs;
using MessagePack;

namespace Dpr.Actors.Fleet;

/// <summary>What a fleet node asks of a tenant's job intake (sharded by tenant, docs/fleet.md).</summary>
public static class TenantCommands
{
    /// <summary>A job of <see cref="Tenant"/> to place on a board of the fleet; answered as <see cref="JobCommands.Submit"/> is.</summary>
    [MessagePackObject]
    public sealed record Submit(
        [property: Key(0)] string Tenant,
        [property: Key(1)] JobCommands.Submit Job) : ITenantCommand;
}
