using System.Text.Json;
using System.Text.Json.Serialization;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Built-in boards (embedded <c>*.board.json</c>) and boards read from a JSON file. Loading checks
/// every field against the device's frame map and names the first one that is wrong.
/// </summary>
public static class BoardCatalog
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static IReadOnlyList<string> BuiltInNames { get; } =
        typeof(BoardCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Dpr.Fabric.Boards.", StringComparison.Ordinal) && n.EndsWith(".board.json", StringComparison.Ordinal))
            .Select(n => n["Dpr.Fabric.Boards.".Length..^".board.json".Length])
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>A built-in board by name, or a path to a board JSON file.</summary>
    public static Board Load(string nameOrPath)
    {
        if (BuiltInNames.Contains(nameOrPath))
        {
            using var stream = typeof(BoardCatalog).Assembly.GetManifestResourceStream($"Dpr.Fabric.Boards.{nameOrPath}.board.json")!;
            return Parse(stream);
        }
        if (File.Exists(nameOrPath))
        {
            using var stream = File.OpenRead(nameOrPath);
            return Parse(stream);
        }
        throw new BoardProfileException("board", $"'{nameOrPath}' is neither a built-in board ({string.Join(", ", BuiltInNames)}) nor a board JSON file");
    }

    public static Board Parse(Stream json)
    {
        BoardDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<BoardDocument>(json, Json);
        }
        catch (JsonException e)
        {
            throw new BoardProfileException(e.Path ?? "$", $"not valid board JSON: {e.Message}");
        }
        if (doc is null)
        {
            throw new BoardProfileException("$", "expected a board object, found null");
        }
        return Validate(doc);
    }

    private static Board Validate(BoardDocument doc)
    {
        var name = Required(doc.Name, "name");
        var device = DeviceCatalog.ByName(Required(doc.Device, "device"))
            ?? throw new BoardProfileException("device", $"unknown device '{doc.Device}'; known: {string.Join(", ", DeviceCatalog.All.Select(d => d.Name))}");
        if (!device.HasFrameMap)
        {
            throw new BoardProfileException("device", $"no frame map is shipped for {device.Name}, so its partitions cannot be checked");
        }
        if (doc.Partitions is not { Count: > 0 })
        {
            throw new BoardProfileException("partitions", "expected at least one partition");
        }
        var partitions = new List<Partition>();
        for (var p = 0; p < doc.Partitions.Count; p++)
        {
            var at = $"partitions[{p}]";
            var pd = doc.Partitions[p];
            var pname = Required(pd.Name, $"{at}.name");
            if (partitions.Any(x => x.Name == pname))
            {
                throw new BoardProfileException($"{at}.name", $"partition '{pname}' appears twice");
            }
            if (pd.Frames is not { Count: > 0 })
            {
                throw new BoardProfileException($"{at}.frames", "expected at least one column range");
            }
            var ranges = pd.Frames.Select((f, i) => Range(device, f, $"{at}.frames[{i}]")).ToList();
            foreach (var other in partitions)
            {
                var overlap = ranges.FirstOrDefault(r => other.Frames.Any(o => Overlaps(r, o)));
                if (overlap is not null)
                {
                    throw new BoardProfileException($"{at}.frames", $"{overlap} overlaps partition '{other.Name}'");
                }
            }
            var decoupler = pd.Decoupler is null ? null : new Decoupler(
                Address(pd.Decoupler.Address, $"{at}.decoupler.address") ?? throw new BoardProfileException($"{at}.decoupler.address", "is required"),
                pd.Decoupler.Bit is >= 0 and <= 31 ? pd.Decoupler.Bit : throw new BoardProfileException($"{at}.decoupler.bit", $"expected 0..31, found {pd.Decoupler.Bit}"));
            var span = Address(pd.ModuleSpan, $"{at}.moduleSpan") ?? 0;
            if (span > uint.MaxValue)
            {
                throw new BoardProfileException($"{at}.moduleSpan", $"expected at most 0xFFFFFFFF, found 0x{span:X}");
            }
            if (pd.Hosts is { } hosts && hosts.Any(string.IsNullOrWhiteSpace))
            {
                throw new BoardProfileException($"{at}.hosts", "expected module kinds or names, found an empty entry");
            }
            var mask = pd.CfgClbMask is null ? null : Mask(device, pd.CfgClbMask, $"{at}.cfgClbMask");
            partitions.Add(new Partition(pname, ranges, decoupler, Address(pd.ModuleAddress, $"{at}.moduleAddress") ?? 0, (uint)span, pd.Hosts, Address(pd.DmaAddress, $"{at}.dmaAddress"), mask,
                RegionPath(pd.FpgaRegion, $"{at}.fpgaRegion")));
        }
        var port = (doc.Port ?? "pcap").ToLowerInvariant() switch
        {
            "pcap" => PortKind.Pcap,
            "icap" => PortKind.Icap,
            _ => throw new BoardProfileException("port", $"expected pcap or icap, found '{doc.Port}'"),
        };
        var clock = doc.FabricClockMHz ?? 100;
        if (clock is <= 0 or > 800)
        {
            throw new BoardProfileException("fabricClockMHz", $"expected a clock in (0, 800] MHz, found {clock}");
        }
        MemoryRegion? memory = null;
        if (doc.Memory is { } m)
        {
            var size = Address(m.Size, "memory.size") ?? throw new BoardProfileException("memory.size", "is required");
            memory = new MemoryRegion(Address(m.Base, "memory.base") ?? throw new BoardProfileException("memory.base", "is required"), size > 0 ? size : throw new BoardProfileException("memory.size", "must be positive"));
        }
        var ram = Address(doc.Ram, "ram");
        if (ram is 0 or > long.MaxValue)
        {
            throw new BoardProfileException("ram", $"expected a positive size like \"0x20000000\", found '{doc.Ram}'");
        }
        Hwicap? hwicap = null;
        if (doc.Hwicap is { } h)
        {
            var depth = h.WriteFifoDepth ?? Hwicap.DefaultWriteFifoDepth;
            hwicap = new Hwicap(
                Address(h.Address, "hwicap.address") ?? throw new BoardProfileException("hwicap.address", "is required"),
                depth is >= 16 and <= 16384 && (depth & (depth - 1)) == 0 ? depth : throw new BoardProfileException("hwicap.writeFifoDepth", $"expected a power of two in 16..16384 (PG134), found {depth}"));
        }
        var devcfg = Address(doc.Devcfg, "devcfg") ?? Board.ZynqDevcfgAddress;
        return new Board(
            name, doc.Description ?? "", device, partitions, doc.StaticImage, port, clock, memory, (long?)ram, doc.RequireSignedModules ?? false,
            hwicap, RegionPath(doc.FpgaRegion, "fpgaRegion"), Sem(doc.Sem), devcfg, StaticIdOf(doc.StaticId));
    }

    /// <summary><c>"staticId": { "address": "0x43C20000", "value": "0x00D0C0DE" }</c>: a 4-byte-aligned register and the word the static design returns there.</summary>
    private static StaticId? StaticIdOf(StaticIdDocument? id)
    {
        if (id is null)
        {
            return null;
        }
        var address = Address(id.Address, "staticId.address") ?? throw new BoardProfileException("staticId.address", "is required");
        if (address % 4 != 0)
        {
            throw new BoardProfileException("staticId.address", $"expected a 4-byte-aligned register address, found 0x{address:X}");
        }
        var value = Address(id.Value, "staticId.value") ?? throw new BoardProfileException("staticId.value", "is required");
        return value <= uint.MaxValue
            ? new StaticId(address, (uint)value)
            : throw new BoardProfileException("staticId.value", $"expected a 32-bit word like \"0x00D0C0DE\", found '{id.Value}'");
    }

    /// <summary>
    /// <c>"sem": { "serial": "/dev/ttyPS1" }</c> or <c>"sem": { "uartLite": "0x42C00000" }</c>, with an
    /// optional <c>"baud"</c> (9600, PG036 "Monitor Interface").
    /// </summary>
    private static SemUart? Sem(SemDocument? sem)
    {
        if (sem is null)
        {
            return null;
        }
        var baud = sem.Baud ?? SemUart.MonitorBaudRate;
        if (baud is < 300 or > 4_000_000)
        {
            throw new BoardProfileException("sem.baud", $"expected a baud rate in 300..4000000, found {baud}");
        }
        return (sem.Serial, sem.UartLite) switch
        {
            ({ } path, null) when path.StartsWith('/') => new SemUart(SemUartKind.Serial, path, null, baud),
            ({ } path, null) => throw new BoardProfileException("sem.serial", $"expected an absolute device path like \"/dev/ttyPS1\", found '{path}'"),
            (null, { } address) => new SemUart(SemUartKind.AxiUartLite, null, Address(address, "sem.uartLite"), baud),
            (null, null) => throw new BoardProfileException("sem", "expected \"serial\" (a device path) or \"uartLite\" (an AXI UART Lite base address)"),
            _ => throw new BoardProfileException("sem", "expected one of \"serial\" and \"uartLite\", not both"),
        };
    }

    /// <summary>A device-tree node path: absolute, no empty or NUL component (an overlay's <c>target-path</c>).</summary>
    private static string? RegionPath(string? text, string field) =>
        text is null || (text.StartsWith('/') && text.Length > 1 && !text.EndsWith('/') && !text.Contains("//", StringComparison.Ordinal) && !text.Any(c => char.IsWhiteSpace(c) || c == '\0'))
            ? text
            : throw new BoardProfileException(field, $"expected a device-tree path like \"/fpga-full/pr0\", found '{text}'");

    /// <summary>Addresses are written as "0x..." strings in board JSON, the way a Vivado address map prints them.</summary>
    private static ulong? Address(string? text, string field)
    {
        if (text is null)
        {
            return null;
        }
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : null;
        return digits is { Length: > 0 } && ulong.TryParse(digits, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var value)
            ? value
            : throw new BoardProfileException(field, $"expected a hexadecimal address like \"0x43C00000\", found '{text}'");
    }

    private static ColumnRange Range(Device device, ColumnRangeDocument f, string at)
    {
        var blockType = f.BlockType switch
        {
            "CLB_IO_CLK" => BlockType.CLB_IO_CLK,
            "BLOCK_RAM" => BlockType.BLOCK_RAM,
            _ => throw new BoardProfileException($"{at}.blockType", $"expected CLB_IO_CLK or BLOCK_RAM, found '{f.BlockType}'"),
        };
        var bottom = f.Half switch
        {
            "top" => false,
            "bottom" => true,
            _ => throw new BoardProfileException($"{at}.half", $"expected top or bottom, found '{f.Half}'"),
        };
        var row = device.Rows.FirstOrDefault(r => r.BlockType == blockType && r.Bottom == bottom && r.Row == f.Row)
            ?? throw new BoardProfileException($"{at}.row", $"{device.Name} has no {blockType} row {f.Row} in its {f.Half} half");
        if (f.FirstColumn < 0 || f.FirstColumn >= row.ColumnFrames.Count)
        {
            throw new BoardProfileException($"{at}.firstColumn", $"expected 0..{row.ColumnFrames.Count - 1} for {row}, found {f.FirstColumn}");
        }
        if (f.LastColumn < f.FirstColumn || f.LastColumn >= row.ColumnFrames.Count)
        {
            throw new BoardProfileException($"{at}.lastColumn", $"expected {f.FirstColumn}..{row.ColumnFrames.Count - 1} for {row}, found {f.LastColumn}");
        }
        return new ColumnRange(blockType, bottom, f.Row, f.FirstColumn, f.LastColumn);
    }

    /// <summary>The partition's CFG_CLB mask burst: the mask word and, per row, the column runs that carry it ("18-43,50-73").</summary>
    private static MaskBurst Mask(Device device, MaskDocument m, string at)
    {
        var word = Address(m.Word, $"{at}.word") is { } w and <= uint.MaxValue
            ? (uint)w
            : throw new BoardProfileException($"{at}.word", "expected the 32-bit mask word, like \"0xE00009BC\"");
        var rows = new List<MaskRow>();
        foreach (var (r, i) in (m.Rows ?? []).Select((r, i) => (r, i)))
        {
            var field = $"{at}.rows[{i}]";
            var bottom = r.Half switch
            {
                "top" => false,
                "bottom" => true,
                _ => throw new BoardProfileException($"{field}.half", $"expected top or bottom, found '{r.Half}'"),
            };
            var row = device.Rows.FirstOrDefault(x => x.BlockType == BlockType.CFG_CLB && x.Bottom == bottom && x.Row == r.Row)
                ?? throw new BoardProfileException($"{field}.row", $"{device.Name} has no CFG_CLB row {r.Row} in its {r.Half} half");
            if (rows.Any(x => x.Bottom == bottom && x.Row == r.Row))
            {
                throw new BoardProfileException($"{field}.row", $"row {r.Half} {r.Row} appears twice");
            }
            rows.Add(new MaskRow(bottom, r.Row, Columns(r.Columns ?? "", row.ColumnFrames.Count, $"{field}.columns")));
        }
        return new MaskBurst(word, rows);
    }

    private static List<int> Columns(string text, int count, string field)
    {
        var columns = new SortedSet<int>();
        foreach (var run in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = run.Split('-');
            if (ends.Length is < 1 or > 2 || !int.TryParse(ends[0], out var first) || !int.TryParse(ends[^1], out var last) || first > last || first < 0 || last >= count)
            {
                throw new BoardProfileException(field, $"expected column runs like \"18-43,50-73\" within 0..{count - 1}, found '{run}'");
            }
            for (var c = first; c <= last; c++)
            {
                columns.Add(c);
            }
        }
        return [.. columns];
    }

    private static bool Overlaps(ColumnRange a, ColumnRange b) =>
        a.BlockType == b.BlockType && a.Bottom == b.Bottom && a.Row == b.Row
        && a.FirstColumn <= b.LastColumn && b.FirstColumn <= a.LastColumn;

    private static string Required(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new BoardProfileException(field, "is required") : value;

    private sealed record BoardDocument(
        string? Name, string? Description, string? Device, List<PartitionDocument>? Partitions,
        string? StaticImage, string? Port, double? FabricClockMHz, MemoryDocument? Memory, string? Ram, bool? RequireSignedModules,
        HwicapDocument? Hwicap = null, string? FpgaRegion = null, SemDocument? Sem = null, string? Devcfg = null,
        StaticIdDocument? StaticId = null);

    private sealed record StaticIdDocument(string? Address, string? Value);

    private sealed record HwicapDocument(string? Address, int? WriteFifoDepth);

    private sealed record SemDocument(string? Serial, string? UartLite, int? Baud);

    private sealed record PartitionDocument(
        string? Name, List<ColumnRangeDocument>? Frames, DecouplerDocument? Decoupler, string? ModuleAddress, string? ModuleSpan, List<string>? Hosts, string? DmaAddress, MaskDocument? CfgClbMask, string? FpgaRegion = null);

    private sealed record MaskDocument(string? Word, List<MaskRowDocument>? Rows);

    private sealed record MaskRowDocument(string? Half, int Row, string? Columns);

    private sealed record DecouplerDocument(string? Address, int Bit);

    private sealed record MemoryDocument(string? Base, string? Size);

    private sealed record ColumnRangeDocument(string? BlockType, string? Half, int Row, int FirstColumn, int LastColumn);
}
