namespace Dpr.Host.Api;

/// <summary>An entry of the audit trail (<c>GET /v1/audit</c>); <paramref name="Sequence"/> numbers entries from 1, oldest first.</summary>
public sealed record AuditEntryDto(
    long Sequence, DateTimeOffset At, string By, string? Key, string Source, string Action, string? Target, string? Detail, string Outcome, int? Status, string? Reason);

/// <summary>A page of the audit trail, newest first; <paramref name="Next"/> is the <c>before</c> of the next page, null on the last.</summary>
public sealed record AuditPageDto(IReadOnlyList<AuditEntryDto> Entries, string? Next);

/// <summary>A key as listed: never the key, only its name, its first characters and when it was made.</summary>
public sealed record KeyDto(string Name, string? Prefix, DateTimeOffset Created);

/// <summary><c>GET /v1/tenants/{name}</c>.</summary>
public sealed record TenantDetailDto(string Name, bool Admin, DateTimeOffset Created, IReadOnlyList<KeyDto> Keys);

/// <summary><c>POST /v1/tenants/{name}/keys</c>: the new key's name (default <c>key-N</c>), and whether it replaces the others (they are revoked).</summary>
public sealed record RotateKeyDto(string? Name = null, bool Replace = false);

/// <summary>A new key, shown only now, and the keys revoked with it.</summary>
public sealed record RotatedKeyDto(string Tenant, string Name, string Prefix, string Key, IReadOnlyList<KeyDto> Revoked);

/// <summary>The keys revoked; they are refused from the next request on.</summary>
public sealed record RevokedKeysDto(string Tenant, IReadOnlyList<KeyDto> Revoked);
