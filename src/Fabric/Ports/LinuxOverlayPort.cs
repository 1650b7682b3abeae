using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Ports;

/// <summary>
/// The port of mainline and newer vendor kernels: a device-tree overlay for the partition's
/// <c>fpga-region</c>, applied through configfs, as dfx-mgr does. The image is converted to the
/// byte-swapped <c>.bin</c>, copied to the firmware directory as <c>&lt;name&gt;.bin</c>; an overlay item
/// is made under <c>overlays/</c> and the generated blob written to its <c>dtbo</c>: that write applies
/// the overlay, and the region programs the device while it lasts (of-fpga-region.c:
/// <c>of_fpga_region_notify_pre_apply</c> → <c>fpga_region_program_fpga</c>). The item's <c>status</c>
/// then says <c>applied</c>, or <c>unapplied</c> with the write's errno when the kernel refused it.
/// </summary>
/// <remarks>
/// The overlay is <c>fragment@0 { target-path = region; __overlay__ { firmware-name = "x.bin";
/// partial-fpga-config; } }</c> (Documentation/devicetree/bindings/fpga/fpga-region.yaml: "firmware-name",
/// "partial-fpga-config"), written as a flattened tree by <see cref="FlattenedDeviceTree"/>; a target
/// path needs no <c>__symbols__</c> on the base tree, unlike a label. A region holds one overlay at a
/// time (of-fpga-region.c refuses another with "Region already has overlay applied", -EINVAL), so the
/// item this port applied for the region is removed before the next load, and every item left by an
/// earlier run (its prefix, or a blob aimed at one of the board's regions) is removed before the
/// first one: a stale overlay is the failure PYNQ and XRT users meet most. A partial's region is the
/// partition whose frames it writes (its footprint); a full image goes to the board's base region,
/// after every overlay this port applied is removed. Writes are serialized, as on every port.
/// </remarks>
public sealed class LinuxOverlayPort : IConfigurationPort
{
    private readonly Board _board;
    private readonly LinuxOverlayOptions _options;
    private readonly IConfigfsAccess _files;
    private readonly TimeProvider _time;
    private readonly PortWriterLock _writer = new();
    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);
    private readonly List<string> _staleRemoved = [];
    private bool _swept;

    public LinuxOverlayPort(Board board, LinuxOverlayOptions? options = null, TimeProvider? time = null)
        : this(board, options ?? new LinuxOverlayOptions(), FileConfigfsAccess.Instance, time ?? TimeProvider.System)
    {
    }

    internal LinuxOverlayPort(Board board, LinuxOverlayOptions options, IConfigfsAccess files, TimeProvider time)
    {
        _board = board;
        _options = options;
        _files = files;
        _time = time;
    }

    public string Name => "overlay";

    /// <summary>The overlay items removed as stale before the first load (names under <c>overlays/</c>).</summary>
    public IReadOnlyList<string> StaleRemoved
    {
        get
        {
            lock (_staleRemoved)
            {
                return [.. _staleRemoved];
            }
        }
    }

    public async Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        KernelFiles.StopIfCancelled(cancellationToken, "before anything was written");
        await _writer.EnterAsync(image.Name, cancellationToken);
        try
        {
            // Applying blocks in the kernel for the whole programming: keep it off the caller's thread.
            return await Task.Run(() => Write(image, progress, cancellationToken), CancellationToken.None);
        }
        finally
        {
            _writer.Exit();
        }
    }

    /// <summary>Removes the stale overlay items now (otherwise the first write does); the names removed.</summary>
    /// <exception cref="ConfigurationPortException">configfs is missing or an item cannot be removed (<see cref="PortFailure.Unavailable"/>).</exception>
    public IReadOnlyList<string> RemoveStaleOverlays()
    {
        CheckConfigfs();
        var removed = new List<string>();
        var regions = Regions();
        foreach (var item in _files.Directories(_options.OverlaysDirectory))
        {
            if (item.StartsWith(_options.ItemPrefix, StringComparison.Ordinal) || TargetOf(item) is { } target && regions.Contains(target))
            {
                Remove(item, "a stale overlay");
                removed.Add(item);
            }
        }
        lock (_staleRemoved)
        {
            _staleRemoved.AddRange(removed);
        }
        _swept = true;
        return removed;
    }

    /// <summary>The overlay that loads <paramref name="firmwareName"/> into the region at <paramref name="regionPath"/>.</summary>
    public static byte[] Overlay(string regionPath, string firmwareName, bool partial)
    {
        var overlay = new DeviceTreeNode("__overlay__").With("firmware-name", firmwareName);
        if (partial)
        {
            overlay = overlay.With("partial-fpga-config");
        }
        return FlattenedDeviceTree.Write(new DeviceTreeNode("").With(new DeviceTreeNode("fragment@0").With("target-path", regionPath).With(overlay)));
    }

    private PortWriteResult Write(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        KernelFiles.StopIfCancelled(cancellationToken, "before anything was written");
        var partial = image.Kind == BitstreamKind.Partial;
        var fileName = LinuxFpgaManagerPort.FirmwareFileName(image.Name);
        var region = RegionOf(image);
        if (!_swept)
        {
            RemoveStaleOverlays();
        }

        var bin = BinConverter.ToBin(image.Bitstream);
        var firmwareFile = Path.Combine(_options.FirmwareDirectory, fileName);
        KernelFiles.Unavailable($"could not copy the image to {firmwareFile}", () => _files.WriteFile(firmwareFile, bin));
        KernelFiles.StopIfCancelled(cancellationToken, $"after copying {firmwareFile}, before the device was touched");

        // The region takes one overlay: the last one goes first. A full image replaces everything under it.
        foreach (var (appliedRegion, appliedItem) in _applied.Where(a => !partial || a.Key == region).OrderByDescending(a => a.Key.Length).ToList())
        {
            Remove(appliedItem, $"the overlay last applied to {appliedRegion}");
            _applied.Remove(appliedRegion);
        }

        var item = _options.ItemPrefix + ItemName(region);
        var itemPath = Path.Combine(_options.OverlaysDirectory, item);
        KernelFiles.Unavailable($"could not make the overlay item {itemPath}", () => _files.CreateDirectory(itemPath));
        var dtbo = Overlay(region, fileName, partial);

        // Last point where cancelling leaves the device untouched: applying cannot be interrupted.
        if (cancellationToken.IsCancellationRequested)
        {
            TryRemove(itemPath);
            KernelFiles.StopIfCancelled(cancellationToken, $"after copying {firmwareFile}, before the overlay was applied");
        }
        progress?.Report(new PortProgress(0, bin.Length));
        var started = _time.GetTimestamp();
        IOException? kernelError = null;
        try
        {
            _files.WriteAttribute(Path.Combine(itemPath, "dtbo"), dtbo);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
        {
            TryRemove(itemPath);
            throw new ConfigurationPortException(PortFailure.Unavailable, false, $"could not open {Path.Combine(itemPath, "dtbo")}: {e.Message}", e);
        }
        catch (IOException e)
        {
            kernelError = e;
        }
        var duration = _time.GetElapsedTime(started);

        var status = KernelFiles.ReadOptional(_files.ReadText, Path.Combine(itemPath, "status"));
        if (kernelError is null && status == "applied")
        {
            _applied[region] = item;
            if (!partial)
            {
                _applied.Keys.Where(r => r != region).ToList().ForEach(r => _applied.Remove(r));
            }
            progress?.Report(new PortProgress(bin.Length, bin.Length));
            return new PortWriteResult(duration, bin.Length);
        }
        // An unapplied item is inert; removing it keeps the next load from meeting it.
        TryRemove(itemPath);
        throw Failure(status, kernelError, partial, fileName, region, itemPath);
    }

    private ConfigurationPortException Failure(string? status, IOException? kernelError, bool partial, string fileName, string region, string itemPath)
    {
        var state = _options.ManagerDirectory is { } manager ? KernelFiles.ReadOptional(_files.ReadText, Path.Combine(manager, "state")) : null;
        var (failure, unknown, meaning) = state is not null && state.EndsWith("error", StringComparison.Ordinal)
            // The manager failed a step of the load: its state says which (the fpga-manager port's reading).
            ? LinuxFpgaManagerPort.Classify(state, partial)
            : kernelError?.Message switch
            {
                // request_firmware found no file by that name.
                { } m when m.Contains("No such file", StringComparison.OrdinalIgnoreCase) =>
                    (PortFailure.Unavailable, false, "the kernel could not load the image from its firmware search path (is the firmware directory on it?)"),
                // The overlay notifiers refused it before programming: no such region, one already applied, not a partial region.
                { } m when m.Contains("Invalid argument", StringComparison.OrdinalIgnoreCase) || m.Contains("busy", StringComparison.OrdinalIgnoreCase) =>
                    (PortFailure.Refused, false, "the kernel refused the overlay before programming (no such fpga-region, or one already applied to it)"),
                _ => (PortFailure.WriteFailed, true, "the kernel did not confirm the region was programmed"),
            };
        var answer = kernelError is null ? "the write returned without error" : $"the write failed: {kernelError.Message}";
        return new ConfigurationPortException(failure, unknown,
            $"loading {fileName} into fpga-region {region} through {itemPath}: {answer}; status is '{status ?? "unreadable"}'{(state is null ? "" : $", fpga_manager state '{state}'")}: {meaning}", kernelError);
    }

    /// <summary>A partial's region is that of the one partition its frames fall in; a full image's is the board's base region.</summary>
    private string RegionOf(ConfigurationImage image)
    {
        if (image.Kind != BitstreamKind.Partial)
        {
            return _board.FpgaRegion ?? throw new ConfigurationPortException(PortFailure.Unavailable, false,
                $"board '{_board.Name}' names no base fpga-region (\"fpgaRegion\" in its profile): the overlay port cannot load the full image {image.Name}");
        }
        // The CFG_CLB mask frames every partial writes belong to no partition (the verdict allowed them).
        var partitions = Footprint.Of(image.Bitstream, _board.Device).FrameAddresses.Select(_board.PartitionOf).OfType<Partition>().Distinct().ToList();
        if (partitions is not [var partition])
        {
            throw new ConfigurationPortException(PortFailure.Refused, false,
                $"{image.Name} writes frames of {(partitions.Count == 0 ? "no partition" : string.Join(", ", partitions.Select(p => p.Name)))} on {_board.Name}: an overlay loads one partition's fpga-region");
        }
        return partition.FpgaRegion ?? throw new ConfigurationPortException(PortFailure.Unavailable, false,
            $"partition '{partition.Name}' of board '{_board.Name}' names no fpga-region (\"fpgaRegion\" in its profile): the overlay port cannot load {image.Name}");
    }

    private HashSet<string> Regions() =>
        [.. _board.Partitions.Select(p => p.FpgaRegion).Append(_board.FpgaRegion).OfType<string>()];

    /// <summary>The target-path of an overlay item's blob; null when it has none or cannot be read.</summary>
    private string? TargetOf(string item)
    {
        try
        {
            var tree = FlattenedDeviceTree.Read(_files.ReadBytes(Path.Combine(_options.OverlaysDirectory, item, "dtbo")));
            return tree.Children.Select(f => f.Text("target-path")).OfType<string>().FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DeviceTreeFormatException)
        {
            return null;
        }
    }

    private void CheckConfigfs()
    {
        if (!_files.DirectoryExists(_options.OverlaysDirectory))
        {
            throw new ConfigurationPortException(PortFailure.Unavailable, false,
                $"{_options.OverlaysDirectory} does not exist: is configfs mounted at /sys/kernel/config and the kernel built with the device-tree overlay configfs interface? (docs/boards.md)");
        }
    }

    private void Remove(string item, string what)
    {
        var path = Path.Combine(_options.OverlaysDirectory, item);
        KernelFiles.Unavailable($"could not remove {what} ({path})", () => _files.RemoveDirectory(path));
    }

    private void TryRemove(string itemPath)
    {
        try
        {
            _files.RemoveDirectory(itemPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start's sweep: it carries this port's prefix.
        }
    }

    /// <summary>An item name from a node path: <c>/fpga-full/pr-conv</c> → <c>fpga-full.pr-conv</c>.</summary>
    private static string ItemName(string region) => region.Trim('/').Replace('/', '.');
}
