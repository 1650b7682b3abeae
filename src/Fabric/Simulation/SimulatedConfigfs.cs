using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// configfs device-tree overlays, a firmware directory and the fpga_manager's <c>state</c>, in memory,
/// behaving as the kernel does (drivers/of/configfs.c of linux-xlnx, of-fpga-region.c, fpga-mgr.c) in
/// front of the <see cref="SimulatedDevice"/>: <c>mkdir overlays/x</c> makes an item with <c>path</c>,
/// <c>dtbo</c> and <c>status</c> (<c>unapplied</c>); writing <c>dtbo</c> applies it — the blob is parsed, its
/// fragment's target-path must be one of the board's fpga-regions with no overlay yet (else -EINVAL,
/// "Region already has overlay applied"), its <c>firmware-name</c> is requested from the firmware
/// directory (else -ENOENT), the image checked and its frames written — and <c>status</c> says
/// <c>applied</c>; a refused write leaves it <c>unapplied</c>. <c>rmdir</c> removes the overlay and frees its region.
/// Faults come from the <see cref="FaultPlan"/> as the kernel would show them: Fail a refusal before
/// programming (-EINVAL), PartialWrite a "write error" part-way (-EIO), Corrupt a "write complete error"
/// (-ETIMEDOUT), Hang a write that blocks for its time (or 10 s) and then fails as PartialWrite does.
/// </summary>
public sealed class SimulatedConfigfs : IConfigfsAccess
{
    private readonly SimulatedDevice _device;
    private readonly FaultPlan _faults;
    private readonly SimulatedPortOptions? _timing;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _firmware = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _regionOwner = new(StringComparer.Ordinal);
    private readonly Queue<string> _refusals = new();
    private readonly Lock _lock = new();
    private int _applies;
    private int _writes;
    private string? _pendingError;
    private string _state = "operating";

    /// <param name="timing">When real time is asked for, an apply takes the modelled PCAP time (the region programs through the PCAP).</param>
    public SimulatedConfigfs(SimulatedDevice device, string root, FaultPlan? faults = null, SimulatedPortOptions? timing = null, TimeProvider? time = null)
    {
        _device = device;
        _faults = faults ?? FaultPlan.None;
        _timing = timing;
        _time = time ?? TimeProvider.System;
        Options = new LinuxOverlayOptions
        {
            OverlaysDirectory = Path.Combine(root, "sys", "kernel", "config", "device-tree", "overlays"),
            FirmwareDirectory = Path.Combine(root, "lib", "firmware"),
            ManagerDirectory = Path.Combine(root, "sys", "class", "fpga_manager", "fpga0"),
        };
    }

    public LinuxOverlayOptions Options { get; }

    /// <summary>False models a kernel without configfs mounted: the overlays directory is missing.</summary>
    public bool Mounted { get; set; } = true;

    /// <summary>The overlay items and their status, by name.</summary>
    public IReadOnlyDictionary<string, string> Items
    {
        get
        {
            lock (_lock)
            {
                return _items.ToDictionary(i => i.Key, i => i.Value.Status);
            }
        }
    }

    /// <summary>The item holding each region, by region path.</summary>
    public IReadOnlyDictionary<string, string> RegionOwners
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, string>(_regionOwner);
            }
        }
    }

    public string ManagerState
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Overlays applied (successfully) so far.</summary>
    public int Applies
    {
        get
        {
            lock (_lock)
            {
                return _applies;
            }
        }
    }

    /// <summary>The next apply is refused before programming with this errno text (e.g. "Invalid argument"), status left unapplied.</summary>
    public void RefuseNext(string errno)
    {
        lock (_lock)
        {
            _refusals.Enqueue(errno);
        }
    }

    /// <summary>An overlay item left by someone else (an earlier run): made and, when its blob is valid, applied.</summary>
    public void Plant(string item, byte[] dtbo, bool applied)
    {
        lock (_lock)
        {
            var planted = new Item { Dtbo = dtbo };
            _items[item] = planted;
            if (applied && Target(dtbo) is { } region)
            {
                planted.Region = region;
                planted.Status = "applied";
                _regionOwner[region] = item;
            }
        }
    }

    public byte[]? Firmware(string fileName)
    {
        lock (_lock)
        {
            return _firmware.GetValueOrDefault(Path.Combine(Options.FirmwareDirectory, fileName));
        }
    }

    public bool DirectoryExists(string path)
    {
        lock (_lock)
        {
            return Mounted && (path == Options.OverlaysDirectory || ItemOf(path) is { } name && _items.ContainsKey(name));
        }
    }

    public IReadOnlyList<string> Directories(string path)
    {
        lock (_lock)
        {
            return Mounted && path == Options.OverlaysDirectory
                ? [.. _items.Keys.Order(StringComparer.Ordinal)]
                : throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
        }
    }

    public void CreateDirectory(string path)
    {
        lock (_lock)
        {
            var name = Mounted ? ItemOf(path) : null;
            if (name is null)
            {
                throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
            }
            if (_items.ContainsKey(name))
            {
                throw new IOException("File exists");
            }
            _items[name] = new Item();
        }
    }

    public void RemoveDirectory(string path)
    {
        lock (_lock)
        {
            if (!Mounted || ItemOf(path) is not { } name || !_items.Remove(name, out var item))
            {
                throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
            }
            // of_overlay_remove: the region is free again; the fabric keeps what was programmed.
            if (item.Region is { } region && _regionOwner.GetValueOrDefault(region) == name)
            {
                _regionOwner.Remove(region);
            }
        }
    }

    public string ReadText(string path)
    {
        lock (_lock)
        {
            if (path == Path.Combine(Options.ManagerDirectory!, "state"))
            {
                return _state + "\n";
            }
            return Attribute(path, out var attribute) switch
            {
                { } item when attribute == "status" => item.Status + "\n",
                { } when attribute == "path" => "\n",
                _ => throw new FileNotFoundException($"Could not find file '{path}'", path),
            };
        }
    }

    public byte[] ReadBytes(string path)
    {
        lock (_lock)
        {
            return Attribute(path, out var attribute) is { } item && attribute == "dtbo"
                ? item.Dtbo ?? []
                : throw new FileNotFoundException($"Could not find file '{path}'", path);
        }
    }

    public void WriteFile(string path, ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            if (Path.GetDirectoryName(path) != Options.FirmwareDirectory)
            {
                throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
            }
            _firmware[path] = bytes.ToArray();
        }
    }

    public void WriteAttribute(string path, ReadOnlySpan<byte> bytes)
    {
        var blob = bytes.ToArray();
        TimeSpan? delay;
        lock (_lock)
        {
            var item = Attribute(path, out var attribute) ?? throw new FileNotFoundException($"Could not find file '{path}'", path);
            if (attribute != "dtbo")
            {
                throw new IOException("Invalid argument");
            }
            if (item.Dtbo is not null)
            {
                // cfs_overlay_item_dtbo_write: an item applies one blob, once.
                throw new IOException("Operation not permitted");
            }
            item.Dtbo = blob;
            delay = Apply(ItemOf(Path.GetDirectoryName(path)!)!, item, blob);
        }
        if (delay is { } d)
        {
            // The write blocks while the region programs; outside the lock, as the kernel's other files stay readable.
            Task.Delay(d, _time).Wait();
        }
        lock (_lock)
        {
            if (_pendingError is { } error)
            {
                _pendingError = null;
                throw new IOException(error);
            }
        }
    }

    /// <summary>Applies <paramref name="blob"/> as the kernel would; the time the write blocks, if any. Under the lock.</summary>
    private TimeSpan? Apply(string name, Item item, byte[] blob)
    {
        DeviceTreeNode tree;
        try
        {
            tree = FlattenedDeviceTree.Read(blob);
        }
        catch (DeviceTreeFormatException)
        {
            throw new IOException("Invalid argument");
        }
        var fragment = tree.Children.FirstOrDefault(f => f.Text("target-path") is not null && f.Child("__overlay__") is not null);
        var region = fragment?.Text("target-path");
        var overlay = fragment?.Child("__overlay__");
        if (region is null || overlay is null || !Regions().Contains(region))
        {
            throw new IOException("Invalid argument");
        }
        if (_regionOwner.ContainsKey(region))
        {
            // of_fpga_region_notify_pre_apply: "Region already has overlay applied."
            throw new IOException("Invalid argument");
        }
        if (_refusals.TryDequeue(out var refusal))
        {
            throw new IOException(refusal);
        }
        if (overlay.Text("firmware-name") is not { } fileName)
        {
            throw new IOException("Invalid argument");
        }
        _state = "firmware request";
        if (!_firmware.TryGetValue(Path.Combine(Options.FirmwareDirectory, fileName), out var bin))
        {
            _state = "firmware request error";
            throw new IOException("No such file or directory");
        }
        var moduleName = fileName.EndsWith(".bin", StringComparison.Ordinal) ? fileName[..^4] : fileName;
        var planned = _faults.Next(++_writes, moduleName);
        if (planned?.Fault == SimulatedFault.Fail)
        {
            _state = "operating";
            throw new IOException("Invalid argument");
        }
        Bitstream bs;
        try
        {
            bs = BitstreamReader.Read(bin);
        }
        catch (BitstreamFormatException)
        {
            _state = "write init error";
            throw new IOException("Invalid argument");
        }
        var partial = overlay.Has("partial-fpga-config");
        _state = "write init";
        if (bs.IdCode is not { } id || !_device.Board.Device.Matches(id) || partial != (bs.Kind == BitstreamKind.Partial))
        {
            _state = "write init error";
            throw new IOException("Invalid argument");
        }
        _state = "write";
        var image = new ConfigurationImage(moduleName, bs);
        var frames = _device.FramesWrittenBy(bs);
        switch (planned?.Fault)
        {
            case SimulatedFault.PartialWrite:
            case SimulatedFault.Hang:
                _device.Write(image, frames.Take(frames.Count / 2), garbage: true);
                _state = "write error";
                _pendingError = "Input/output error";
                return planned.Fault == SimulatedFault.Hang ? planned.HangFor ?? TimeSpan.FromSeconds(10) : null;
            case SimulatedFault.Corrupt:
                _device.Write(image, frames, garbage: true);
                _state = "write complete error";
                _pendingError = "Connection timed out";
                return null;
        }
        if (!bs.CrcVerified)
        {
            _device.Write(image, frames, garbage: true);
            _state = "write complete error";
            _pendingError = "Connection timed out";
            return null;
        }
        _device.Write(image, frames, garbage: false);
        _state = "operating";
        item.Status = "applied";
        item.Region = region;
        _regionOwner[region] = name;
        _applies++;
        return _timing is { RealTime: true } timing ? timing.TransferTime(bin.Length) : null;
    }

    private HashSet<string> Regions() =>
        [.. _device.Board.Partitions.Select(p => p.FpgaRegion).Append(_device.Board.FpgaRegion).OfType<string>()];

    private static string? Target(byte[] dtbo)
    {
        try
        {
            return FlattenedDeviceTree.Read(dtbo).Children.Select(f => f.Text("target-path")).OfType<string>().FirstOrDefault();
        }
        catch (DeviceTreeFormatException)
        {
            return null;
        }
    }

    private string? ItemOf(string path) =>
        Path.GetDirectoryName(path) == Options.OverlaysDirectory && Path.GetFileName(path) is { Length: > 0 } name ? name : null;

    private Item? Attribute(string path, out string attribute)
    {
        attribute = Path.GetFileName(path);
        return Mounted && ItemOf(Path.GetDirectoryName(path) ?? "") is { } name ? _items.GetValueOrDefault(name) : null;
    }

    private sealed class Item
    {
        public byte[]? Dtbo { get; set; }

        public string Status { get; set; } = "unapplied";

        public string? Region { get; set; }
    }
}
