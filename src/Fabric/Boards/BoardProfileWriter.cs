using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dpr.Fabric.Boards;

/// <summary>Writes a board as the profile JSON <see cref="BoardCatalog"/> reads (docs/boards.md), addresses as "0x..." strings.</summary>
public static class BoardProfileWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToJson(Board board)
    {
        var root = new JsonObject
        {
            ["name"] = board.Name,
            ["description"] = board.Description,
            ["device"] = board.Device.Name,
            ["staticImage"] = board.StaticImage,
            ["port"] = board.Port.ToString().ToLowerInvariant(),
            ["fabricClockMHz"] = board.FabricClockMHz,
        };
        if (board.RamBytes is { } ram)
        {
            root["ram"] = Hex((ulong)ram);
        }
        if (board.Memory is { } memory)
        {
            root["memory"] = new JsonObject { ["base"] = Hex(memory.Base), ["size"] = Hex(memory.Size) };
        }
        if (board.RequireSignedModules)
        {
            root["requireSignedModules"] = true;
        }
        if (board.FpgaRegion is { } region)
        {
            root["fpgaRegion"] = region;
        }
        if (board.Hwicap is { } hwicap)
        {
            root["hwicap"] = new JsonObject { ["address"] = Hex(hwicap.Address), ["writeFifoDepth"] = hwicap.WriteFifoDepth };
        }
        if (board.StaticId is { } id)
        {
            root["staticId"] = new JsonObject { ["address"] = Hex(id.Address), ["value"] = Hex(id.Value) };
        }
        root["partitions"] = new JsonArray([.. board.Partitions.Select(Partition)]);
        return root.ToJsonString(Indented) + "\n";
    }

    private static JsonNode Partition(Partition p)
    {
        var node = new JsonObject
        {
            ["name"] = p.Name,
            ["frames"] = new JsonArray([.. p.Frames.Select(f => (JsonNode)new JsonObject
            {
                ["blockType"] = f.BlockType.ToString(),
                ["half"] = f.Bottom ? "bottom" : "top",
                ["row"] = f.Row,
                ["firstColumn"] = f.FirstColumn,
                ["lastColumn"] = f.LastColumn,
            })]),
        };
        if (p.Mask is { } mask)
        {
            node["cfgClbMask"] = new JsonObject
            {
                ["word"] = $"0x{mask.Word:X8}",
                ["rows"] = new JsonArray([.. mask.Rows.Select(r => (JsonNode)new JsonObject
                {
                    ["half"] = r.Bottom ? "bottom" : "top",
                    ["row"] = r.Row,
                    ["columns"] = r.ToString().Split(' ', 2)[1],
                })]),
            };
        }
        if (p.Decoupler is { } d)
        {
            node["decoupler"] = new JsonObject { ["address"] = Hex(d.RegisterAddress), ["bit"] = d.Bit };
        }
        if (p.ModuleSpan > 0)
        {
            node["moduleAddress"] = Hex(p.ModuleAddress);
            node["moduleSpan"] = Hex(p.ModuleSpan);
        }
        if (p.DmaAddress is { } dma)
        {
            node["dmaAddress"] = Hex(dma);
        }
        if (p.FpgaRegion is { } region)
        {
            node["fpgaRegion"] = region;
        }
        if (p.Hosts is { } hosts)
        {
            node["hosts"] = new JsonArray([.. hosts.Select(h => (JsonNode)JsonValue.Create(h))]);
        }
        return node;
    }

    private static string Hex(ulong value) => $"0x{value:X8}";
}
