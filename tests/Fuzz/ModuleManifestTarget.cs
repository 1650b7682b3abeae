using System.Security.Cryptography;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;

namespace Dpr.Fuzz;

/// <summary>
/// A module manifest (<c>NAME.module.json</c>) as <c>dpr serve</c> and <c>dpr modules verify</c> read it:
/// <see cref="ModuleCatalog.Load"/> of a directory holding the input as the only manifest, beside a
/// synthetic <c>pynq-z2</c> module and the real <c>pr_join</c> partial with their images and <c>.hwh</c>,
/// for both built-in boards, a signature checked against one trusted key when the manifest carries one. Nothing is
/// expected to escape: the catalog reports every bad manifest as a <see cref="ModuleProblem"/>.
/// </summary>
public sealed class ModuleManifestTarget : IFuzzTarget
{
    private const string RealPartial = "cv_dfx_4_pr_composable_pr_join_subtract_partial";

    private static readonly Board[] Boards = [BoardCatalog.Load("pynq-z2"), BoardCatalog.Load("pynq-z2-composable")];
    /// <summary>
    /// A fixed test key, so that the seeds written by <c>dpr-fuzz seed</c> verify in the fuzzing process;
    /// it signs nothing but these seeds.
    /// </summary>
    private const string TestKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgt3dk9aYvaNsEPSfv
        fNB5RPgZoHimjgjKklcwvCfqbBqhRANCAAQwvpNTGP2MgIUeC/MNgFloQAA+yL96
        z3hoiTG8NSjNpmMUMauYfFL/KGrbyfEFXTbD9te44x4D/Ga1rNlWfDFU
        -----END PRIVATE KEY-----
        """;

    private static readonly ECDsa Key = ModuleSigner.LoadKey(TestKeyPem);
    private static readonly Lazy<string> CatalogDirectory = new(Prepare);

    public string Name => "manifest";

    public string Description => "ModuleCatalog.Load (manifest JSON, signature, image hash, verdict, .hwh) on both built-in boards";

    public void Run(byte[] input)
    {
        var directory = CatalogDirectory.Value;
        File.WriteAllBytes(Path.Combine(directory, "fuzz" + ModuleCatalog.ManifestSuffix), input);
        var options = new ModuleCatalogOptions(RequireSignatures: false, TrustedKeys: [Key]);
        foreach (var board in Boards)
        {
            _ = ModuleCatalog.Load(directory, board, options);
        }
    }

    public IEnumerable<byte[]> Dictionary => Tokens.Of(
        "\"name\"", "\"aliases\"", "\"partition\"", "\"image\"", "\"hwh\"", "\"sha256\"", "\"kind\"", "\"type\"",
        "\"kernelSize\"", "\"precision\"", "\"registerMap\"", "\"resources\"", "\"lut\"", "\"ff\"", "\"dsp\"", "\"bram\"",
        "\"synthetic\"", "\"signature\"", "\"keyId\"", "\"value\"", "\"convolution\"", "\"opaque\"", "\"int8\"", "\"int16\"",
        "\"int32\"", "\"conv\"", "\"pr_join\"", "\"pr_0\"", "\"conv3x3_int8.bit\"", "\"conv3x3_int8.hwh\"",
        $"\"{RealPartial}.bit\"", $"\"{RealPartial}.hwh\"", "\"../\"", "\"/\"", "null", "true", "-1", "2147483648", "[]", "{}");

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        var directory = CatalogDirectory.Value;
        foreach (var file in Directory.GetFiles(directory, "*.json.seed").Order(StringComparer.Ordinal))
        {
            yield return new Seed(Path.GetFileNameWithoutExtension(file), File.ReadAllBytes(file));
        }
    }

    /// <summary>A catalog directory without manifests (they become seeds): the images and .hwh the fuzzed manifest may name.</summary>
    private static string Prepare()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-fuzz-manifest-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        // One synthetic convolution module, signed (ModuleCatalog.WriteSynthetic writes all six).
        var synthetic = Path.Combine(directory, "synthetic");
        ModuleCatalog.WriteSynthetic(Boards[0], synthetic, Key);
        foreach (var file in Directory.GetFiles(synthetic).Where(f => Path.GetFileName(f).StartsWith("conv3x3_int8.", StringComparison.Ordinal)))
        {
            var target = Path.Combine(directory, Path.GetFileName(file));
            File.Move(file, file.EndsWith(ModuleCatalog.ManifestSuffix, StringComparison.Ordinal) ? target + ".seed" : target);
        }
        Directory.Delete(synthetic, recursive: true);
        // The real pr_join partial of the composable overlay, as an opaque module.
        var fixtures = FixtureDirectory.Find();
        File.Copy(fixtures.Real(RealPartial + ".bit"), Path.Combine(directory, RealPartial + ".bit"));
        File.Copy(fixtures.Real(RealPartial + ".hwh"), Path.Combine(directory, RealPartial + ".hwh"));
        var image = File.ReadAllBytes(Path.Combine(directory, RealPartial + ".bit"));
        var manifest = new ModuleManifest(
            "join_subtract", ["subtract"], "pr_join", RealPartial + ".bit", RealPartial + ".hwh",
            Convert.ToHexString(SHA256.HashData(image)).ToLowerInvariant(), new ModuleKind(ModuleKind.Opaque),
            Resources: new ModuleResources(1200, 1800, 0, 2));
        var path = Path.Combine(directory, "join_subtract" + ModuleCatalog.ManifestSuffix + ".seed");
        ModuleCatalog.Save(ModuleSigner.Sign(manifest, Key), path);
        var unsigned = Path.Combine(directory, "join_subtract_unsigned" + ModuleCatalog.ManifestSuffix + ".seed");
        ModuleCatalog.Save(manifest, unsigned);
        return directory;
    }
}
