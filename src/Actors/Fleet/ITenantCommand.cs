namespace Dpr.Actors.Fleet;

/// <summary>A message for one tenant's job intake in the fleet: the sharding key is <see cref="Tenant"/>.</summary>
public interface ITenantCommand : IDprMessage
{
    string Tenant { get; }
}
