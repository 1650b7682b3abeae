namespace Dpr.Host.Service;

/// <summary>
/// One API key of a tenant: its name (<c>default</c>, <c>ci</c>...), the SHA-256 of the key, when it was
/// made, and its prefix (<c>dpr_</c> and 8 characters of the key's 43): enough to tell keys apart in
/// listings and logs, too little to guess the rest (208 random bits remain). Keys read from a file
/// written before keys had names (<see cref="TenantStore"/>) have no prefix.
/// </summary>
public sealed record TenantKey(string Name, string? Prefix, string Sha256, DateTimeOffset Created);
