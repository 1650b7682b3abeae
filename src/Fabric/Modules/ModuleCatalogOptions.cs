using System.Security.Cryptography;

namespace Dpr.Fabric.Modules;

/// <param name="RequireSignatures">Refuse unsigned or wrongly signed modules (otherwise a bad signature is still refused, a missing one is allowed).</param>
/// <param name="TrustedKeys">Public keys whose signatures are accepted.</param>
public sealed record ModuleCatalogOptions(bool RequireSignatures = false, IReadOnlyList<ECDsa>? TrustedKeys = null);
