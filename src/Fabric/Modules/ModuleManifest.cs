namespace Dpr.Fabric.Modules;

/// <summary>
/// One reconfigurable module as a manifest file (<c>NAME.module.json</c>) describes it: what it is,
/// where its image is, and how to check that image. See docs/modules.md.
/// </summary>
/// <param name="Image">The <c>.bit</c> or <c>.bin</c>, relative to the manifest's directory.</param>
/// <param name="Hwh">The Vivado hardware handoff, relative to the manifest's directory; null if none.</param>
/// <param name="Sha256">Hex SHA-256 of the image file.</param>
/// <param name="RegisterMap">Name of the register map the driver speaks (e.g. the convolution map of hardware/).</param>
/// <param name="Synthetic">True for images made by <c>dpr bitstream synth</c> rather than Vivado.</param>
public sealed record ModuleManifest(
    string Name,
    IReadOnlyList<string> Aliases,
    string Partition,
    string Image,
    string? Hwh,
    string Sha256,
    ModuleKind Kind,
    string? RegisterMap = null,
    ModuleResources? Resources = null,
    bool Synthetic = false,
    ModuleSignature? Signature = null);
