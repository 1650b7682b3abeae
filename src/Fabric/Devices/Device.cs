using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Devices;

/// <summary>
/// A 7-series part: its IDCODE (revision bits 31:28 cleared) and, where the part database is
/// shipped, its frame space in FAR auto-increment order (block type, half, row; FORMAT-NOTES §7).
/// </summary>
public sealed class Device
{
    public Device(string name, uint idCode, IReadOnlyList<ConfigurationRow> rows, string? package = null)
    {
        Name = name;
        Package = package;
        IdCode = idCode & IdCodeMask;
        Rows = rows;
    }

    /// <summary>Revision bits vary by silicon and are written as 0 (FORMAT-NOTES §6).</summary>
    public const uint IdCodeMask = 0x0FFFFFFF;

    /// <summary>The same on every 7-series part.</summary>
    public const int FrameWords = FdriWrite.FrameWords;

    /// <summary>Vivado pads the end of every row in a multi-row burst with two empty frames (FORMAT-NOTES §7).</summary>
    public const int RowPadFrames = 2;

    /// <summary>"xc7z020".</summary>
    public string Name { get; }

    public uint IdCode { get; }

    /// <summary>"clg400" where the part database is shipped: with <see cref="Name"/>, the <c>.bit</c> header's part.</summary>
    public string? Package { get; }

    /// <summary>What Vivado writes in header field <c>b</c>: "7z020clg400".</summary>
    public string HeaderPart => $"{Name[2..]}{Package}";

    /// <summary>Empty when the part database for this device is not shipped.</summary>
    public IReadOnlyList<ConfigurationRow> Rows { get; }

    public bool HasFrameMap => Rows.Count > 0;

    /// <summary>Configuration frames without pads or the CFG_CLB block (xc7z020: 9996).</summary>
    public int ConfigurationFrames => Rows.Where(r => r.BlockType != BlockType.CFG_CLB).Sum(r => r.Frames);

    public bool Matches(uint idCode) => (idCode & IdCodeMask) == IdCode;

    /// <summary>
    /// The header's part name (<c>7z020clg400</c>) names this device when it starts with the name
    /// without its <c>xc</c> prefix.
    /// </summary>
    public bool MatchesPart(string headerPart) =>
        headerPart.StartsWith(Name[2..], StringComparison.OrdinalIgnoreCase)
        && !char.IsDigit(headerPart.ElementAtOrDefault(Name.Length - 2));

    public override string ToString() => Name;
}
