using System.Security.Cryptography;
using System.Text.Json;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Modules;

/// <summary>
/// The modules of a board, read from a directory of <c>*.module.json</c> manifests. Every image is
/// checked (hash, signature, parse, the loading verdict for its partition); each bad module is
/// reported in <see cref="Problems"/> with the field at fault, and the good ones are served.
/// </summary>
public sealed class ModuleCatalog
{
    public const string ManifestSuffix = ".module.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ModuleCatalogOptions _options;

    // The files of each module as they were when it last passed Recheck: unchanged, they are not read again.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, FileStamps> _rechecked = new(StringComparer.Ordinal);

    private ModuleCatalog(Board board, IReadOnlyList<ModuleEntry> modules, IReadOnlyList<ModuleProblem> problems, ModuleCatalogOptions options)
    {
        Board = board;
        Modules = modules;
        Problems = problems;
        _options = options;
    }

    public Board Board { get; }

    /// <summary>Modules are refused unless signed by a trusted key: the options or the board ask for it.</summary>
    public bool RequiresSignatures => _options.RequireSignatures || Board.RequireSignedModules;

    public IReadOnlyList<ModuleEntry> Modules { get; }

    public IReadOnlyList<ModuleProblem> Problems { get; }

    /// <summary>By name or alias, case-insensitive; null if the catalog does not serve it.</summary>
    public ModuleEntry? Find(string name) => Modules.FirstOrDefault(m => m.Answers(name));

    /// <summary>The image of a module for one partition: a module that several partitions can host has one per partition.</summary>
    public ModuleEntry? Find(string name, string partition) => Modules.FirstOrDefault(m => m.Answers(name) && m.Partition.Name == partition);

    /// <summary>Every partition's image of a module.</summary>
    public IReadOnlyList<ModuleEntry> FindAll(string name) => Modules.Where(m => m.Answers(name)).ToList();

    public static ModuleCatalog Load(string directory, Board board, ModuleCatalogOptions? options = null)
    {
        options ??= new ModuleCatalogOptions();
        // A board whose profile asks for signed modules gets them whatever the caller passed.
        options = options with { RequireSignatures = options.RequireSignatures || board.RequireSignedModules };
        var modules = new List<ModuleEntry>();
        var problems = new List<ModuleProblem>();
        if (!Directory.Exists(directory))
        {
            problems.Add(new ModuleProblem(directory, "directory", "the module directory does not exist"));
            return new ModuleCatalog(board, modules, problems, options);
        }
        foreach (var file in Directory.GetFiles(directory, "*" + ManifestSuffix).Order(StringComparer.Ordinal))
        {
            try
            {
                var entry = LoadOne(file, board, options);
                var clash = modules.FirstOrDefault(m => m.Partition == entry.Partition && (m.Answers(entry.Name) || entry.Manifest.Aliases.Any(m.Answers)));
                if (clash is not null)
                {
                    throw new ModuleProblemException("name", $"'{entry.Name}' or one of its aliases is already served by {clash.Name} in partition '{entry.Partition.Name}'");
                }
                modules.Add(entry);
            }
            catch (ModuleProblemException e)
            {
                problems.Add(new ModuleProblem(file, e.Field, e.Message));
            }
        }
        return new ModuleCatalog(board, modules, problems, options);
    }

    private static ModuleEntry LoadOne(string file, Board board, ModuleCatalogOptions options)
    {
        ModuleManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<ModuleManifest>(File.ReadAllText(file), Json);
        }
        catch (JsonException e)
        {
            throw new ModuleProblemException(e.Path ?? "$", $"not a valid manifest: {e.Message}");
        }
        if (m is null || string.IsNullOrWhiteSpace(m.Name))
        {
            throw new ModuleProblemException("name", "is required");
        }
        if (string.IsNullOrWhiteSpace(m.Image))
        {
            throw new ModuleProblemException("image", "is required");
        }
        if (m.Kind is null)
        {
            throw new ModuleProblemException("kind", "is required");
        }
        // Before the signature check, which signs the hash (a signed manifest without one was a fuzz finding).
        if (string.IsNullOrWhiteSpace(m.Sha256))
        {
            throw new ModuleProblemException("sha256", "is required");
        }
        m = m with { Aliases = m.Aliases ?? [] };

        var partition = board.Partitions.FirstOrDefault(p => p.Name == m.Partition)
            ?? throw new ModuleProblemException("partition", $"board '{board.Name}' has no partition '{m.Partition}'");
        CheckKind(m);
        if (!partition.CanHost(m.Kind.Type, m.Name))
        {
            throw new ModuleProblemException("partition", $"partition '{partition.Name}' hosts {string.Join(", ", partition.Hosts!)}, not {m.Kind.Type} module {m.Name}");
        }

        var signatureProblem = m.Signature is null && !options.RequireSignatures ? null : ModuleSigner.Check(m, options.TrustedKeys ?? []);
        if (signatureProblem is not null)
        {
            throw new ModuleProblemException("signature", signatureProblem);
        }

        var imagePath = Path.Combine(Path.GetDirectoryName(file)!, m.Image);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(imagePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModuleProblemException("image", $"cannot read {imagePath}: {e.Message}");
        }
        var hash = Convert.ToHexString(SHA256.HashData(bytes));
        if (!string.Equals(hash, m.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModuleProblemException("sha256", $"the image's SHA-256 is {hash.ToLowerInvariant()}, the manifest says {m.Sha256}");
        }
        Bitstream image;
        try
        {
            image = BitstreamReader.Read(bytes);
        }
        catch (BitstreamFormatException e)
        {
            throw new ModuleProblemException("image", $"malformed bitstream: {e.Message}");
        }
        var verdict = LoadVerdict.Check(image, board, partition);
        if (!verdict.Fits)
        {
            throw new ModuleProblemException("image", $"{verdict.Outcome}: {verdict.Reason}");
        }
        return new ModuleEntry(m, image, partition, imagePath, m.Signature is not null, RegisterOffset(m, file, board, partition), file);
    }

    /// <summary>
    /// Checks a served module again from its files, as at load (signature, hash, verdict...), just before
    /// it is written to the device: null when the manifest and image on disk are still the ones this
    /// catalog checked, else why the module must not be loaded. A file replaced since the catalog loaded
    /// is refused even if it is good on its own: what is written is what was checked. Files whose size and
    /// modification time are those of the last check that passed are not read again: two <c>stat</c> calls
    /// instead of reading, parsing and verifying the image on every swap (some milliseconds on the board's
    /// Cortex-A9, where the swap itself takes about one).
    /// </summary>
    public ModuleProblem? Recheck(ModuleEntry module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.ManifestPath is not { } file)
        {
            return null;
        }
        var stamps = FileStamps.Of(file, module.ImagePath);
        if (Passed(file, stamps))
        {
            return null;
        }
        _rechecked.TryRemove(file, out _);
        ModuleEntry now;
        try
        {
            now = LoadOne(file, Board, _options);
        }
        catch (ModuleProblemException e)
        {
            return new ModuleProblem(file, e.Field, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ModuleProblem(file, "manifest", $"cannot read it: {e.Message}");
        }
        if (!ModuleSigner.SignedBytes(now.Manifest).AsSpan().SequenceEqual(ModuleSigner.SignedBytes(module.Manifest))
            || now.Manifest.Signature != module.Manifest.Signature
            || !now.Image.File.Span.SequenceEqual(module.Image.File.Span))
        {
            return new ModuleProblem(file, "manifest", "the manifest or its image changed since the catalog was loaded; restart the service to serve the new one");
        }
        if (stamps is not null)
        {
            _rechecked[file] = stamps;
        }
        return null;
    }

    /// <summary>
    /// True when <see cref="Recheck"/> would pass <paramref name="module"/> without reading its files: it is not
    /// from a file, or its manifest and image still have the size and modification time of the last check that
    /// passed. Two <c>stat</c> calls, cheap enough for an actor's thread; false means <see cref="Recheck"/> must run.
    /// </summary>
    public bool PassesUnread(ModuleEntry module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.ManifestPath is not { } file || Passed(file, FileStamps.Of(file, module.ImagePath));
    }

    private bool Passed(string file, FileStamps? stamps) => stamps is not null && _rechecked.TryGetValue(file, out var passed) && passed == stamps;

    /// <summary>The size and last write time of a module's manifest and image; null when either cannot be read.</summary>
    private sealed record FileStamps(long ManifestLength, DateTime ManifestWritten, long ImageLength, DateTime ImageWritten)
    {
        public static FileStamps? Of(string manifest, string image)
        {
            var (m, i) = (new FileInfo(manifest), new FileInfo(image));
            return m.Exists && i.Exists ? new FileStamps(m.Length, m.LastWriteTimeUtc, i.Length, i.LastWriteTimeUtc) : null;
        }
    }

    /// <summary>The register slave's offset from the module's .hwh, checked against the board's device and the partition's window.</summary>
    private static ulong RegisterOffset(ModuleManifest m, string file, Board board, Partition partition)
    {
        if (m.Hwh is null)
        {
            return 0;
        }
        HardwareHandoff hwh;
        try
        {
            hwh = HardwareHandoff.Load(Path.Combine(Path.GetDirectoryName(file)!, m.Hwh));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HardwareHandoffException)
        {
            throw new ModuleProblemException("hwh", e.Message);
        }
        if (!string.Equals($"xc{hwh.Device}", board.Device.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModuleProblemException("hwh", $"the .hwh is for {hwh.Device}, board '{board.Name}' has {board.Device.Name}");
        }
        var registers = hwh.AddressRanges.FirstOrDefault(r => r.MemoryType == "REGISTER")
            ?? throw new ModuleProblemException("hwh", "the .hwh has no register address range");
        if (registers.Base + registers.Size > partition.ModuleSpan)
        {
            throw new ModuleProblemException("hwh", $"registers at 0x{registers.Base:X}..0x{registers.High:X} do not fit the partition's 0x{partition.ModuleSpan:X}-byte window");
        }
        return registers.Base;
    }

    private static void CheckKind(ModuleManifest m)
    {
        switch (m.Kind.Type)
        {
            case ModuleKind.Opaque:
                return;
            case ModuleKind.Convolution:
                if (!ConvModule.TryResolve(m.Name, out var conv))
                {
                    throw new ModuleProblemException("name", $"'{m.Name}' is not a convolution module ({string.Join(", ", ConvModule.All)})");
                }
                if (m.Kind.KernelSize != conv.KernelSize || !string.Equals(m.Kind.Precision, $"int{conv.Bits}", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ModuleProblemException("kind", $"{conv.Name} is a {conv.KernelSize}x{conv.KernelSize} int{conv.Bits} convolution, the manifest says {m.Kind}");
                }
                return;
            default:
                throw new ModuleProblemException("kind.type", $"expected {ModuleKind.Convolution} or {ModuleKind.Opaque}, found '{m.Kind.Type}'");
        }
    }

    /// <summary>
    /// Writes a synthetic partial, a synthetic .hwh and a manifest for every convolution module and
    /// every partition that hosts convolutions into <paramref name="directory"/> (the simulated
    /// board's catalog), signed when a key is given.
    /// </summary>
    public static void WriteSynthetic(Board board, string directory, ECDsa? key = null)
    {
        var partitions = board.Partitions.Where(p => p.CanHost(ModuleKind.Convolution, "")).ToList();
        if (partitions.Count == 0)
        {
            throw new BoardProfileException("partitions", $"board '{board.Name}' has no partition that hosts convolution modules");
        }
        Directory.CreateDirectory(directory);
        foreach (var partition in partitions)
        {
            foreach (var conv in ConvModule.All)
            {
                // One partition: plain names; several: one image per partition, named after it.
                var stem = partitions.Count == 1 ? conv.Name.Value : $"{conv.Name}.{partition.Name}";
                var bytes = SyntheticBitstream.Partial(board, partition, conv.Name.Value);
                File.WriteAllBytes(Path.Combine(directory, stem + ".bit"), bytes);
                File.WriteAllText(Path.Combine(directory, stem + ".hwh"), SyntheticHandoff(board, conv));
                var manifest = new ModuleManifest(
                    conv.Name.Value, [conv.Alias], partition.Name, stem + ".bit", stem + ".hwh",
                    Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(),
                    new ModuleKind(ModuleKind.Convolution, conv.KernelSize, $"int{conv.Bits}"),
                    RegisterMap: "dpr-conv", Synthetic: true);
                Save(key is null ? manifest : ModuleSigner.Sign(manifest, key), Path.Combine(directory, stem + ManifestSuffix));
            }
        }
    }

    /// <summary>The .hwh Vivado would write for a convolution RM: one register slave at offset 0 of the partition's window (4 KiB, register-map.json).</summary>
    private static string SyntheticHandoff(Board board, ConvModule conv) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Synthetic: written by dpr for a synthetic module (dpr bitstream synth), not by Vivado. -->
        <EDKSYSTEM EDWVERSION="1.2" VIVADOVERSION="dpr-synthetic">
          <SYSTEMINFO ARCH="zynq" DEVICE="{board.Device.Name[2..]}" NAME="{SyntheticBitstream.Marker}_{conv.Name}" PACKAGE="{board.Device.Package}" SPEEDGRADE="-1"/>
          <MODULES>
            <MODULE FULLNAME="/conv_rm" INSTANCE="conv_rm" MODTYPE="conv_rm" VLNV="dpr:rm:conv_rm:1.0">
              <PARAMETERS>
                <PARAMETER NAME="K" VALUE="{conv.KernelSize}"/>
                <PARAMETER NAME="P" VALUE="{conv.Bits}"/>
              </PARAMETERS>
              <MEMORYMAP>
                <MEMRANGE ADDRESSBLOCK="Reg" BASENAME="C_S_AXI_CONTROL_BASEADDR" BASEVALUE="0x00000000" HIGHNAME="C_S_AXI_CONTROL_HIGHADDR" HIGHVALUE="0x00000FFF" INSTANCE="conv_rm" MASTERBUSINTERFACE="s_axi_control" MEMTYPE="REGISTER" SLAVEBUSINTERFACE="s_axi_control"/>
              </MEMORYMAP>
            </MODULE>
          </MODULES>
        </EDKSYSTEM>
        """;

    public static void Save(ModuleManifest manifest, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(manifest, Json) + "\n");

    public static ModuleManifest Read(string path) =>
        JsonSerializer.Deserialize<ModuleManifest>(File.ReadAllText(path), Json)
        ?? throw new ModuleProblemException("$", "the manifest is empty");
}
