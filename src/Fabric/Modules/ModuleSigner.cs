using System.Security.Cryptography;
using System.Text;

namespace Dpr.Fabric.Modules;

/// <summary>
/// Signs and checks module manifests with ECDSA P-256 from the .NET base library. What is signed is
/// a canonical text of the fields that decide what gets loaded where (name, aliases, partition, the
/// image's hash, kind, register map), so neither the image nor the manifest can change unnoticed.
/// </summary>
public static class ModuleSigner
{
    public static ECDsa CreateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string KeyId(ECDsa key) =>
        Convert.ToHexString(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16].ToLowerInvariant();

    public static byte[] SignedBytes(ModuleManifest m) => Encoding.UTF8.GetBytes(string.Join('\n',
        "dpr-module-manifest-v1",
        $"name={m.Name}",
        $"aliases={string.Join(',', m.Aliases)}",
        $"partition={m.Partition}",
        $"image-sha256={m.Sha256.ToLowerInvariant()}",
        $"kind={m.Kind}",
        $"register-map={m.RegisterMap}",
        $"synthetic={m.Synthetic}"));

    public static ModuleManifest Sign(ModuleManifest manifest, ECDsa key) =>
        manifest with
        {
            Signature = new ModuleSignature(KeyId(key), Convert.ToBase64String(key.SignData(SignedBytes(manifest), HashAlgorithmName.SHA256))),
        };

    /// <summary>Null when the signature is valid for one of <paramref name="trusted"/>; otherwise why not.</summary>
    public static string? Check(ModuleManifest manifest, IReadOnlyList<ECDsa> trusted)
    {
        if (manifest.Signature is not { } signature)
        {
            return "the manifest is not signed";
        }
        if (string.IsNullOrEmpty(signature.KeyId) || signature.Value is null)
        {
            return "the signature needs both keyId and value";
        }
        var key = trusted.FirstOrDefault(k => KeyId(k) == signature.KeyId);
        if (key is null)
        {
            return $"signed with key {signature.KeyId}, which is not trusted";
        }
        byte[] value;
        try
        {
            value = Convert.FromBase64String(signature.Value);
        }
        catch (FormatException)
        {
            return "the signature is not base64";
        }
        return key.VerifyData(SignedBytes(manifest), value, HashAlgorithmName.SHA256)
            ? null
            : "the signature does not match the manifest and image (altered after signing, or a wrong signature)";
    }

    /// <summary>Reads a PEM public key (or a private key, whose public half is used).</summary>
    public static ECDsa LoadKey(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }
}
