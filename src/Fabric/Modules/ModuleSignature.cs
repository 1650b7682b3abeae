namespace Dpr.Fabric.Modules;

/// <summary>An ECDSA P-256 / SHA-256 signature (IEEE P1363, base64) over <see cref="ModuleSigner.SignedBytes"/>.</summary>
/// <param name="KeyId">First 16 hex digits of the SHA-256 of the signer's public key (SubjectPublicKeyInfo).</param>
public sealed record ModuleSignature(string KeyId, string Value);
