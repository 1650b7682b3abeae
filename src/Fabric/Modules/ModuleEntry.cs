using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Modules;

/// <summary>A module that passed every check: its manifest, its parsed image, the partition it goes to.</summary>
/// <param name="RegisterOffset">Where the module's register slave sits inside the partition's address window (from its .hwh; 0 without one).</param>
/// <param name="ManifestPath">The manifest it was read from, so it can be checked again before each swap (<see cref="ModuleCatalog.Recheck"/>); null when not from a file.</param>
public sealed record ModuleEntry(ModuleManifest Manifest, Bitstream Image, Partition Partition, string ImagePath, bool Signed, ulong RegisterOffset = 0, string? ManifestPath = null)
{
    /// <summary>The physical address of the module's registers once it is loaded.</summary>
    public ulong RegisterAddress => Partition.ModuleAddress + RegisterOffset;

    public string Name => Manifest.Name;

    /// <summary>The convolution this module computes; null for opaque modules.</summary>
    public ConvModule? Convolution =>
        Manifest.Kind.Type == ModuleKind.Convolution && ConvModule.TryResolve(Manifest.Name, out var conv) ? conv : null;

    public bool Answers(string name) =>
        string.Equals(Manifest.Name, name, StringComparison.OrdinalIgnoreCase)
        || Manifest.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
}
