using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Modules;

/// <summary>A module that passed every check: its manifest, its parsed image, the partition it goes to.</summary>
public sealed record ModuleEntry(ModuleManifest Manifest, Bitstream Image, Partition Partition, string ImagePath, bool Signed)
{
    public string Name => Manifest.Name;

    /// <summary>The convolution this module computes; null for opaque modules.</summary>
    public ConvModule? Convolution =>
        Manifest.Kind.Type == ModuleKind.Convolution && ConvModule.TryResolve(Manifest.Name, out var conv) ? conv : null;

    public bool Answers(string name) =>
        string.Equals(Manifest.Name, name, StringComparison.OrdinalIgnoreCase)
        || Manifest.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
}
