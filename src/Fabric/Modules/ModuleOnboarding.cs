using System.Security.Cryptography;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Modules;

/// <summary>
/// Brings one's own Vivado partial into a module catalog (<c>dpr modules add</c>): checks it, finds the
/// partition it fits exactly (<see cref="PartitionFit"/>), copies the image (and its .hwh) beside a new
/// manifest, signs the manifest when a key is given, and loads the catalog to be sure the module is
/// served as written. Nothing is left in the catalog when the module is refused.
/// </summary>
public static class ModuleOnboarding
{
    /// <summary>Names a manifest may have: they become file names and API identifiers.</summary>
    private static readonly System.Text.RegularExpressions.Regex ValidName = new("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <param name="image">The partial's bytes (<c>.bit</c> or <c>.bin</c>); <paramref name="imageName"/> is its file name, for the default module name and extension.</param>
    /// <param name="hwh">The partial's hardware handoff, copied beside it; its <c>SYSTEMINFO NAME</c> is the default module name.</param>
    /// <param name="name">The module's name; by default the .hwh's system name, else the file name without <c>_partial</c>.</param>
    /// <param name="key">Signs the manifest when given.</param>
    /// <param name="options">The trust the catalog is checked with afterwards, as the service will check it (<paramref name="key"/> trusted as well).</param>
    /// <exception cref="BitstreamFormatException">The image is not a bitstream.</exception>
    public static OnboardingResult Add(string directory, Board board, string imageName, byte[] image, byte[]? hwh = null, string? name = null, ECDsa? key = null, ModuleCatalogOptions? options = null)
    {
        var bitstream = BitstreamReader.Read(image);
        var fit = PartitionFit.Of(bitstream, board);
        if (fit.Partition is not { } partition)
        {
            return new OnboardingResult(fit, null, null);
        }
        HardwareHandoff? handoff = null;
        if (hwh is not null)
        {
            try
            {
                handoff = HardwareHandoff.Parse(new MemoryStream(hwh), "hwh");
            }
            catch (HardwareHandoffException e)
            {
                return Refused(fit, "hwh", e.Message);
            }
        }
        name ??= handoff is { Name.Length: > 0 } h ? h.Name : DefaultName(imageName);
        if (!ValidName.IsMatch(name))
        {
            return Refused(fit, "name", $"'{name}' is not a module name: letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        if (!partition.CanHost(ModuleKind.Opaque, name))
        {
            return Refused(fit, "partition", $"partition '{partition.Name}' hosts {string.Join(", ", partition.Hosts!)}; a partial from Vivado is added as an opaque module");
        }
        Directory.CreateDirectory(directory);
        var stem = name;
        var manifestPath = Path.Combine(directory, stem + ModuleCatalog.ManifestSuffix);
        var imageFile = stem + (Path.GetExtension(imageName) is { Length: > 0 } ext ? ext.ToLowerInvariant() : ".bit");
        var hwhFile = hwh is null ? null : stem + ".hwh";
        List<string> targets = [manifestPath, Path.Combine(directory, imageFile)];
        if (hwhFile is not null)
        {
            targets.Add(Path.Combine(directory, hwhFile));
        }
        var clash = targets.FirstOrDefault(File.Exists);
        if (clash is not null)
        {
            return Refused(fit, "name", $"{clash} already exists: the catalog has a module '{name}' (give another --name)");
        }
        var manifest = new ModuleManifest(
            name, [], partition.Name, imageFile, hwhFile, Convert.ToHexString(SHA256.HashData(image)).ToLowerInvariant(), new ModuleKind(ModuleKind.Opaque));
        if (key is not null)
        {
            manifest = ModuleSigner.Sign(manifest, key);
        }
        var written = new List<string>();
        try
        {
            File.WriteAllBytes(Path.Combine(directory, imageFile), image);
            written.Add(Path.Combine(directory, imageFile));
            if (hwhFile is not null)
            {
                File.WriteAllBytes(Path.Combine(directory, hwhFile), hwh!);
                written.Add(Path.Combine(directory, hwhFile));
            }
            ModuleCatalog.Save(manifest, manifestPath);
            written.Add(manifestPath);

            // The catalog as the service will load it, once it trusts the signing key: the new module must be served, not listed as a problem.
            options ??= new ModuleCatalogOptions();
            var catalog = ModuleCatalog.Load(directory, board, key is null ? options : options with { TrustedKeys = [.. options.TrustedKeys ?? [], key] });
            if (catalog.Problems.FirstOrDefault(p => p.File == manifestPath) is { } problem)
            {
                Remove(written);
                return Refused(fit, problem.Field, problem.Message);
            }
            return new OnboardingResult(fit, catalog.Modules.First(m => m.ManifestPath == manifestPath), null);
        }
        catch
        {
            Remove(written);
            throw;
        }
    }

    private static OnboardingResult Refused(PartitionFit fit, string field, string message) => new(fit, null, new ModuleProblem(fit.Partition!.Name, field, message));

    /// <summary>"cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit" → "cv_dfx_4_pr_composable_pr_join_absdiff".</summary>
    private static string DefaultName(string imageName)
    {
        var stem = Path.GetFileNameWithoutExtension(imageName);
        return stem.EndsWith("_partial", StringComparison.OrdinalIgnoreCase) ? stem[..^"_partial".Length] : stem;
    }

    private static void Remove(List<string> files)
    {
        foreach (var file in files)
        {
            File.Delete(file);
        }
    }
}
