namespace Dpr.Host.Service;

/// <summary>Why a <see cref="TenantChangeException"/>: the HTTP API answers 400, 409 and 404.</summary>
public enum TenantChangeError
{
    Invalid,
    Exists,
    NotFound,
}
