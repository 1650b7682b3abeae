namespace Dpr.Host.Service;

/// <summary>A change to the tenants that cannot be made: a bad name (<see cref="TenantChangeError.Invalid"/>), a name taken, an unknown tenant or key.</summary>
public sealed class TenantChangeException(TenantChangeError error, string field, string message) : Exception(message)
{
    public TenantChangeError Error { get; } = error;

    /// <summary>The input at fault: <c>name</c> or <c>key</c>.</summary>
    public string Field { get; } = field;
}
