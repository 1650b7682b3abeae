using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;

namespace Dpr.Fabric.Tests.Modules;

/// <summary>
/// Inputs the <c>manifest</c> fuzz target found (docs/fuzzing.md, docs/benchmarks/fuzz.md): a signed
/// manifest missing a field escaped <see cref="ModuleCatalog.Load"/> as an exception instead of a
/// <see cref="ModuleProblem"/>, so one bad file stopped the whole catalog (and <c>dpr serve</c>) loading.
/// Each test makes the fuzzer's change to one manifest of a signed synthetic catalog.
/// </summary>
public class ManifestFuzzRegressionTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");

    [Fact]
    public void A_signed_manifest_without_sha256_is_a_problem_of_that_module()
    {
        // Found as "shq256" for "sha256": the hash was null when the signed text was built (NullReferenceException).
        var catalog = LoadWithOneManifestEdited("\"sha256\"", "\"shq256\"");

        var problem = Assert.Single(catalog.Problems);
        Assert.Equal("conv3x3_int8.module.json", Path.GetFileName(problem.File));
        Assert.Equal("sha256", problem.Field);
        Assert.Equal(5, catalog.Modules.Count);
    }

    [Fact]
    public void A_signature_without_value_is_a_problem_of_that_module()
    {
        // Found as "val\x80e" for "value": the signature's value was null when decoded (ArgumentNullException).
        var catalog = LoadWithOneManifestEdited("\"value\"", "\"val\u0080e\"");

        var problem = Assert.Single(catalog.Problems);
        Assert.Equal("conv3x3_int8.module.json", Path.GetFileName(problem.File));
        Assert.Equal("signature", problem.Field);
        Assert.Equal(5, catalog.Modules.Count);
    }

    [Fact]
    public void A_signature_without_key_id_is_a_problem_of_that_module()
    {
        var catalog = LoadWithOneManifestEdited("\"keyId\"", "\"kid\"");

        var problem = Assert.Single(catalog.Problems);
        Assert.Equal("signature", problem.Field);
        Assert.Equal(5, catalog.Modules.Count);
    }

    private static ModuleCatalog LoadWithOneManifestEdited(string from, string to)
    {
        using var dir = new TempDirectory();
        using var key = ModuleSigner.CreateKey();
        ModuleCatalog.WriteSynthetic(PynqZ2, dir.Path, key);
        var manifest = dir.File("conv3x3_int8.module.json");
        var text = File.ReadAllText(manifest);
        Assert.Contains(from, text);
        File.WriteAllText(manifest, text.Replace(from, to));
        return ModuleCatalog.Load(dir.Path, PynqZ2, new ModuleCatalogOptions(RequireSignatures: true, TrustedKeys: [key]));
    }
}
