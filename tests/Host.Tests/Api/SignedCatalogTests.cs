using System.Net;
using System.Net.Http.Json;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;
using Dpr.Host.Api;
using Dpr.Host.Service;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// <c>Dpr:TrustedKeys</c> with <c>Dpr:RequireSignedModules</c>: unsigned and wrongly signed modules are refused at
/// catalog load and listed with why in GET /v1/modules; a module changed on disk after the load is refused at its swap.
/// </summary>
public sealed class SignedCatalogTests
{
    [Fact]
    public async Task Only_modules_signed_by_a_trusted_key_are_served_and_every_swap_checks_them_again()
    {
        using var release = ModuleSigner.CreateKey();
        using var stranger = ModuleSigner.CreateKey();
        var publicKey = Path.Combine(Path.GetTempPath(), $"dpr-release-{Guid.NewGuid():N}.pub.pem");
        File.WriteAllText(publicKey, release.ExportSubjectPublicKeyInfoPem());
        try
        {
            await using var server = await ApiServer.StartAsync(
                new Dictionary<string, string?> { ["Dpr:TrustedKeys:0"] = publicKey, ["Dpr:RequireSignedModules"] = "true" },
                kestrel: true,
                prepare: data =>
                {
                    var modules = Path.Combine(data, "modules");
                    ModuleCatalog.WriteSynthetic(BoardCatalog.Load("pynq-z2"), modules, release);
                    var unsigned = Path.Combine(modules, "conv5x5_int32.module.json");
                    ModuleCatalog.Save(ModuleCatalog.Read(unsigned) with { Signature = null }, unsigned);
                    var foreign = Path.Combine(modules, "conv5x5_int16.module.json");
                    ModuleCatalog.Save(ModuleSigner.Sign(ModuleCatalog.Read(foreign) with { Signature = null }, stranger), foreign);
                });

            // At catalog load: the four modules signed with the release key are served, the two others refused with why.
            var list = (await server.Client("bob").GetFromJsonAsync<ModuleListDto>("/v1/modules", ApiJson.Options))!;
            Assert.Equal(["conv3x3_int16", "conv3x3_int32", "conv3x3_int8", "conv5x5_int8"], list.Modules.Select(m => m.Name).Order());
            Assert.Equal(
                [
                    new RefusedModuleDto("conv5x5_int16.module.json", "signature", $"signed with key {ModuleSigner.KeyId(stranger)}, which is not trusted"),
                    new RefusedModuleDto("conv5x5_int32.module.json", "signature", "the manifest is not signed"),
                ],
                list.Refused!.OrderBy(r => r.File));

            // dpr modules list shows them too.
            var (listed, table, _) = Cli.CliRunner.Run("modules", "list", "--url", server.Url!.ToString(), "--key", server.Keys["bob"]);
            Assert.Equal(0, listed);
            Assert.Contains("refused (not served):", table);
            Assert.Contains("│ conv5x5_int32.module.json │ signature │ the manifest is not signed", table);

            var ops = server.Client("ops");
            Assert.Equal(HttpStatusCode.OK, (await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int8"))).StatusCode);

            // At the swap: an image changed after the catalog loaded.
            var image = Path.Combine(server.Data, "modules", "conv3x3_int16.bit");
            var bytes = await File.ReadAllBytesAsync(image);
            bytes[^100] ^= 1;
            await File.WriteAllBytesAsync(image, bytes);
            var changedImage = await ApiTests.AssertProblem(await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int16")), HttpStatusCode.Conflict, "state");
            Assert.StartsWith("loading conv3x3_int16 into conv failed: refused: sha256: the image's SHA-256 is ", changedImage.GetProperty("detail").GetString());

            // And a manifest edited after it (an alias added, so its signature no longer matches).
            var manifest = Path.Combine(server.Data, "modules", "conv5x5_int8.module.json");
            ModuleCatalog.Save(ModuleCatalog.Read(manifest) with { Aliases = ["conv5x5_8bit", "mine"] }, manifest);
            var changedManifest = await ApiTests.AssertProblem(await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv5x5_int8")), HttpStatusCode.Conflict, "state");
            Assert.Equal(
                "loading conv5x5_int8 into conv failed: refused: signature: the signature does not match the manifest and image (altered after signing, or a wrong signature)",
                changedManifest.GetProperty("detail").GetString());

            // Nothing was written: the partition still holds the module loaded before, after one swap.
            var regions = (await ops.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!;
            var conv = Assert.Single(regions.Regions);
            Assert.Equal(("Loaded", "conv3x3_int8", 1L), (conv.Status, conv.Module, conv.Swaps));
            // An untouched module still swaps in.
            Assert.Equal(HttpStatusCode.OK, (await ops.PostAsJsonAsync("/v1/regions/conv/load", new LoadDto("conv3x3_int32"))).StatusCode);
        }
        finally
        {
            File.Delete(publicKey);
        }
    }

    [Fact]
    public void Requiring_signatures_without_a_trusted_key_or_with_a_bad_one_is_a_setting_error()
    {
        var privateKey = Path.Combine(Path.GetTempPath(), $"dpr-private-{Guid.NewGuid():N}.key.pem");
        using var key = ModuleSigner.CreateKey();
        File.WriteAllText(privateKey, key.ExportPkcs8PrivateKeyPem());
        try
        {
            Assert.Contains(
                "Dpr:TrustedKeys: Dpr:RequireSignedModules requires signed modules, but no key is trusted, so every module would be refused",
                new ServiceOptions { RequireSignedModules = true }.Validate());
            var problems = new ServiceOptions { TrustedKeys = ["/nonexistent/release.pub.pem", privateKey, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----"] }.Validate();
            Assert.Contains(problems, p => p.StartsWith("Dpr:TrustedKeys:0: cannot read the public key '/nonexistent/release.pub.pem'", StringComparison.Ordinal));
            // Loading stops at the first bad key: only it is named.
            Assert.DoesNotContain(problems, p => p.StartsWith("Dpr:TrustedKeys:1", StringComparison.Ordinal));
            Assert.Empty(new ServiceOptions { TrustedKeys = [key.ExportSubjectPublicKeyInfoPem()], RequireSignedModules = true }.Validate());
            Assert.Contains(
                $"Dpr:TrustedKeys:0: '{privateKey}' is a private key; trust the public one (PREFIX.pub.pem of dpr modules keygen)",
                new ServiceOptions { TrustedKeys = [privateKey] }.Validate());
        }
        finally
        {
            File.Delete(privateKey);
        }
    }
    [Fact]
    public async Task Real_partials_onboarded_signed_are_served_on_the_composable_board_and_load_into_their_partition()
    {
        using var release = ModuleSigner.CreateKey();
        var composable = BoardCatalog.Load("pynq-z2-composable");
        await using var server = await ApiServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Dpr:Board"] = "pynq-z2-composable",
                ["Dpr:TrustedKeys:0"] = release.ExportSubjectPublicKeyInfoPem(),
                ["Dpr:RequireSignedModules"] = "true",
            },
            prepare: data =>
            {
                foreach (var partial in new[] { "cv_dfx_4_pr_composable_pr_join_subtract_partial.bit", "cv_dfx_4_pr_composable_pr_fork_duplicate_partial.bit" })
                {
                    var added = ModuleOnboarding.Add(Path.Combine(data, "modules"), composable, partial, File.ReadAllBytes(Cli.CliRunner.Fixture(partial)), key: release);
                    Assert.True(added.Added, added.Reason);
                }
                // One the operator forgot to sign.
                Assert.True(ModuleOnboarding.Add(Path.Combine(data, "modules"), composable, "absdiff.bit", File.ReadAllBytes(Cli.CliRunner.Fixture("cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit"))).Added);
            });

        var list = (await server.Client("bob").GetFromJsonAsync<ModuleListDto>("/v1/modules", ApiJson.Options))!;
        Assert.Equal(
            [("cv_dfx_4_pr_composable_pr_fork_duplicate", "pr_fork"), ("cv_dfx_4_pr_composable_pr_join_subtract", "pr_join")],
            list.Modules.Select(m => (m.Name, m.Partition)).Order());
        Assert.Equal([new RefusedModuleDto("absdiff.module.json", "signature", "the manifest is not signed")], list.Refused);

        var loaded = await server.Client("ops").PostAsJsonAsync("/v1/regions/pr_join/load", new LoadDto("cv_dfx_4_pr_composable_pr_join_subtract"));
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        Assert.Equal(new LoadedDto("pr_join", "cv_dfx_4_pr_composable_pr_join_subtract", Hit: false), await loaded.Content.ReadFromJsonAsync<LoadedDto>(ApiJson.Options));
    }
}
