using System.Security.Cryptography;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;

namespace Dpr.Fabric.Tests.Modules;

public class ModuleCatalogTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");

    [Fact]
    public void Synthetic_catalog_serves_the_six_convolution_modules()
    {
        using var dir = new TempDirectory();
        ModuleCatalog.WriteSynthetic(PynqZ2, dir.Path);

        var catalog = ModuleCatalog.Load(dir.Path, PynqZ2);

        Assert.Empty(catalog.Problems);
        Assert.Equal(6, catalog.Modules.Count);
        Assert.Equal("conv3x3_int8", catalog.Find("CONV3X3_8bit")?.Name);
        Assert.Equal(5, catalog.Find("conv5x5_int16")?.Convolution?.KernelSize);
        Assert.All(catalog.Modules, m => Assert.True(m.Manifest.Synthetic));
        Assert.All(catalog.Modules, m => Assert.Equal(0x43C00000ul, m.RegisterAddress));
        Assert.Null(catalog.Find("conv7x7_int8"));
    }

    [Fact]
    public void Bad_modules_are_reported_by_field_and_the_good_ones_still_served()
    {
        using var dir = new TempDirectory();
        ModuleCatalog.WriteSynthetic(PynqZ2, dir.Path);
        // Tampered image.
        var image = File.ReadAllBytes(dir.File("conv3x3_int8.bit"));
        image[^100] ^= 1;
        File.WriteAllBytes(dir.File("conv3x3_int8.bit"), image);
        // Missing image, wrong kind, unknown partition, wrong device, broken JSON.
        File.Delete(dir.File("conv3x3_int16.bit"));
        Edit(dir.File("conv3x3_int32.module.json"), m => m with { Kind = new ModuleKind("convolution", 5, "int32") });
        Edit(dir.File("conv5x5_int8.module.json"), m => m with { Partition = "pr_9" });
        File.Copy(Fixtures.Real(Fixtures.Zybo), dir.File("zybo.bit"));
        Edit(dir.File("conv5x5_int16.module.json"), m => m with { Image = "zybo.bit", Sha256 = Sha(dir.File("zybo.bit")) });
        File.WriteAllText(dir.File("broken.module.json"), "{ \"name\": ");

        var catalog = ModuleCatalog.Load(dir.Path, PynqZ2);

        Assert.Equal(["conv5x5_int32"], catalog.Modules.Select(m => m.Name));
        var problems = catalog.Problems.ToDictionary(p => Path.GetFileName(p.File), p => (p.Field, p.Message));
        Assert.Equal("sha256", problems["conv3x3_int8.module.json"].Field);
        Assert.Equal("image", problems["conv3x3_int16.module.json"].Field);
        Assert.Equal("kind", problems["conv3x3_int32.module.json"].Field);
        Assert.Equal("partition", problems["conv5x5_int8.module.json"].Field);
        Assert.Contains("WrongDevice", problems["conv5x5_int16.module.json"].Message);
        Assert.Contains("not a valid manifest", problems["broken.module.json"].Message);
    }

    [Fact]
    public void Module_hwh_is_checked_and_gives_the_register_offset()
    {
        using var dir = new TempDirectory();
        var board = BoardCatalog.Load("pynq-z2-composable");
        AddOpaque(dir, "subtract", Fixtures.JoinSubtract, "pr_join");
        File.Copy(Fixtures.Real("cv_dfx_4_pr_composable_pr_join_subtract_partial.hwh"), dir.File("subtract.hwh"));
        Edit(dir.File("subtract.module.json"), m => m with { Hwh = "subtract.hwh" });
        AddOpaque(dir, "absdiff", Fixtures.JoinAbsdiff, "pr_join");
        File.WriteAllText(dir.File("absdiff.hwh"), "<EDKSYSTEM><SYSTEMINFO DEVICE=\"7z010\"/></EDKSYSTEM>");
        Edit(dir.File("absdiff.module.json"), m => m with { Hwh = "absdiff.hwh", Name = "absdiff" });

        var catalog = ModuleCatalog.Load(dir.Path, board);

        Assert.Equal(0x400B0000ul, Assert.Single(catalog.Modules).RegisterAddress);
        var problem = Assert.Single(catalog.Problems);
        Assert.Equal(("hwh", true), (problem.Field, problem.Message.Contains("7z010")));
    }

    [Fact]
    public void Real_partials_for_the_wrong_partition_are_refused()
    {
        using var dir = new TempDirectory();
        var board = BoardCatalog.Load("pynq-z2-composable");
        AddOpaque(dir, "subtract", Fixtures.JoinSubtract, "pr_join");
        AddOpaque(dir, "absdiff", Fixtures.JoinAbsdiff, "pr_fork");

        var catalog = ModuleCatalog.Load(dir.Path, board);

        Assert.Equal(["subtract"], catalog.Modules.Select(m => m.Name));
        Assert.Contains("OutsidePartition", Assert.Single(catalog.Problems).Message);
    }

    [Fact]
    public void Required_signatures_refuse_unsigned_altered_and_untrusted_modules()
    {
        using var dir = new TempDirectory();
        using var key = ModuleSigner.CreateKey();
        using var other = ModuleSigner.CreateKey();
        ModuleCatalog.WriteSynthetic(PynqZ2, dir.Path, key);
        Edit(dir.File("conv3x3_int8.module.json"), m => m with { Signature = null });
        Edit(dir.File("conv3x3_int16.module.json"), m => m with { Aliases = ["conv3x3_int8_fast"] });
        Edit(dir.File("conv3x3_int32.module.json"), m => ModuleSigner.Sign(m, other));
        var trusted = new[] { ModuleSigner.LoadKey(key.ExportSubjectPublicKeyInfoPem()) };

        var catalog = ModuleCatalog.Load(dir.Path, PynqZ2, new ModuleCatalogOptions(RequireSignatures: true, TrustedKeys: trusted));

        Assert.Equal(["conv5x5_int16", "conv5x5_int32", "conv5x5_int8"], catalog.Modules.Select(m => m.Name));
        Assert.All(catalog.Modules, m => Assert.True(m.Signed));
        var messages = catalog.Problems.ToDictionary(p => Path.GetFileName(p.File), p => p.Message);
        Assert.Equal("the manifest is not signed", messages["conv3x3_int8.module.json"]);
        Assert.Contains("does not match", messages["conv3x3_int16.module.json"]);
        Assert.Contains("not trusted", messages["conv3x3_int32.module.json"]);
        Assert.All(catalog.Problems, p => Assert.Equal("signature", p.Field));
    }

    [Fact]
    public void A_bad_signature_is_refused_even_when_signatures_are_optional()
    {
        using var dir = new TempDirectory();
        using var key = ModuleSigner.CreateKey();
        ModuleCatalog.WriteSynthetic(PynqZ2, dir.Path, key);

        var catalog = ModuleCatalog.Load(dir.Path, PynqZ2);

        Assert.Empty(catalog.Modules);
        Assert.All(catalog.Problems, p => Assert.Contains("not trusted", p.Message));
    }

    [Fact]
    public void A_module_passes_unread_only_after_a_recheck_passed_and_while_its_files_keep_their_stamps()
    {
        using var dir = new TempDirectory();
        ModuleCatalog.WriteSynthetic(PynqZ2, dir.Path);
        var catalog = ModuleCatalog.Load(dir.Path, PynqZ2);
        var module = catalog.Find("conv3x3_int8")!;

        Assert.False(catalog.PassesUnread(module));
        Assert.Null(catalog.Recheck(module));
        Assert.True(catalog.PassesUnread(module));

        // The same size and another byte, written later: it must be read and verified again.
        var image = File.ReadAllBytes(dir.File("conv3x3_int8.bit"));
        image[^100] ^= 1;
        File.WriteAllBytes(dir.File("conv3x3_int8.bit"), image);
        File.SetLastWriteTimeUtc(dir.File("conv3x3_int8.bit"), DateTime.UtcNow.AddSeconds(2));
        Assert.False(catalog.PassesUnread(module));
        Assert.Equal("sha256", catalog.Recheck(module)?.Field);
        Assert.False(catalog.PassesUnread(module));
    }

    private static void Edit(string path, Func<ModuleManifest, ModuleManifest> change) =>
        ModuleCatalog.Save(change(ModuleCatalog.Read(path)), path);

    private static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void AddOpaque(TempDirectory dir, string name, string fixture, string partition)
    {
        File.Copy(Fixtures.Real(fixture), dir.File(fixture));
        ModuleCatalog.Save(
            new ModuleManifest(name, [], partition, fixture, null, Sha(dir.File(fixture)), new ModuleKind(ModuleKind.Opaque)),
            dir.File(name + ModuleCatalog.ManifestSuffix));
    }
}
