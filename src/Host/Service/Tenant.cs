namespace Dpr.Host.Service;

/// <summary>A tenant and its API keys (the keys themselves are shown once, when they are made; only their hashes are kept).</summary>
public sealed record Tenant(string Name, bool Admin, DateTimeOffset Created, IReadOnlyList<TenantKey> Keys);
