using System.Text.Json;
using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Devices;

/// <summary>
/// The 7-series parts dpr knows, keyed by IDCODE (prjxray-db; FORMAT-NOTES §6). The three parts of
/// the fixtures carry their frame maps, read from the embedded prjxray-db part.json files.
/// </summary>
public static class DeviceCatalog
{
    private static readonly Lazy<IReadOnlyList<Device>> LazyAll = new(Build);

    public static IReadOnlyList<Device> All => LazyAll.Value;

    public static Device? ByIdCode(uint idCode) => All.FirstOrDefault(d => d.Matches(idCode));

    public static Device? ByName(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));

    private static IReadOnlyList<Device> Build() =>
    [
        FromPartDatabase("xc7z010", "clg400", "xc7z010clg400-1"),
        FromPartDatabase("xc7z020", "clg400", "xc7z020clg400-1"),
        FromPartDatabase("xc7a35t", "csg324", "xc7a35tcsg324-1"),
        new Device("xc7a50t", 0x0362C093, []),
        new Device("xc7a100t", 0x03631093, []),
        new Device("xc7a200t", 0x03636093, []),
        new Device("xc7k70t", 0x03647093, []),
        new Device("xc7s50", 0x0362F093, []),
    ];

    private static Device FromPartDatabase(string name, string package, string resource)
    {
        using var stream = typeof(DeviceCatalog).Assembly.GetManifestResourceStream($"Dpr.Fabric.Devices.{resource}.part.json")
            ?? throw new InvalidOperationException($"embedded part database {resource} is missing from the build");
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var idCode = root.GetProperty("idcode").GetUInt32();
        var regions = root.GetProperty("global_clock_regions");
        var rows = new List<ConfigurationRow>();
        foreach (var blockType in new[] { BlockType.CLB_IO_CLK, BlockType.BLOCK_RAM })
        {
            foreach (var (half, bottom) in new[] { ("top", false), ("bottom", true) })
            {
                if (!regions.TryGetProperty(half, out var halfElement))
                {
                    continue;
                }
                foreach (var row in halfElement.GetProperty("rows").EnumerateObject().OrderBy(r => int.Parse(r.Name)))
                {
                    if (!row.Value.GetProperty("configuration_buses").TryGetProperty(blockType.ToString(), out var bus))
                    {
                        continue;
                    }
                    var columns = bus.GetProperty("configuration_columns").EnumerateObject()
                        .OrderBy(c => int.Parse(c.Name))
                        .Select(c => c.Value.GetProperty("frame_count").GetInt32())
                        .ToArray();
                    rows.Add(new ConfigurationRow(blockType, bottom, int.Parse(row.Name), columns));
                }
            }
        }
        // CFG_CLB, written by every partial: one frame per CLB_IO_CLK column in each row (FORMAT-NOTES §9).
        rows.AddRange(rows.Where(r => r.BlockType == BlockType.CLB_IO_CLK).ToList()
            .Select(r => new ConfigurationRow(BlockType.CFG_CLB, r.Bottom, r.Row, r.ColumnFrames.Select(_ => 1).ToArray())));
        return new Device(name, idCode, rows, package);
    }
}
