using System.Text.Json;
using System.Text.Json.Serialization;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Host.Cli;

/// <summary>What <c>dpr inspect --json</c> prints; the schema is documented in docs/cli.md.</summary>
public sealed record BitstreamReport(
    string File,
    long Size,
    string Kind,
    string Format,
    string? Idcode,
    string? Device,
    BitstreamReport.HeaderFields? Header,
    long SyncOffset,
    int Packets,
    IReadOnlyList<string> Commands,
    IReadOnlyList<string> Far,
    IReadOnlyList<BitstreamReport.FdriBurst> Fdri,
    long FdriTotalWords,
    BitstreamReport.CrcSummary Crc,
    BitstreamReport.FootprintSummary? Footprint,
    int NopWordsAfterDesync)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public sealed record HeaderFields(string A, string B, string C, string D, uint E);

    public sealed record FdriBurst(string Far, int Words, int Frames);

    public sealed record CrcWrite(long Offset, string Expected, string Computed, bool Match);

    /// <param name="Checks">How many CRC writes the stream has.</param>
    /// <param name="AllMatch">No CRC write mismatched (true when there are none).</param>
    /// <param name="Writes">Each CRC write: where, the value in the file, the value computed.</param>
    public sealed record CrcSummary(int Checks, bool AllMatch, IReadOnlyList<CrcWrite> Writes);

    public sealed record Range(string First, string Last, int Frames, string BlockType, string Row, int FirstColumn, int LastColumn);

    public sealed record FootprintSummary(int Frames, IReadOnlyList<Range> Ranges, int MaskFrames, int UnmappedFrames);

    public static BitstreamReport Of(string file, Bitstream bs)
    {
        var device = bs.IdCode is { } id ? DeviceCatalog.ByIdCode(id) : null;
        var footprint = device is { HasFrameMap: true } ? Fabric.Bitstreams.Footprint.Of(bs, device) : null;
        return new BitstreamReport(
            file,
            bs.File.Length,
            bs.Kind == BitstreamKind.Partial ? "partial" : "full",
            bs.Format.ToString().ToLowerInvariant(),
            bs.IdCode is { } idCode ? Hex(idCode) : null,
            device?.Name,
            bs.Header is { } h ? new HeaderFields(h.DesignInfo, h.Part, h.Date, h.Time, h.PayloadLength) : null,
            bs.SyncOffset,
            bs.Packets.Sum(p => p.Repeat),
            bs.Commands.Select(ConfigNames.Command).ToList(),
            bs.FarWrites.Select(f => f.ToString()).ToList(),
            bs.FdriWrites.Select(w => new FdriBurst(w.Far.ToString(), w.Words, w.Frames)).ToList(),
            bs.FdriTotalWords,
            new CrcSummary(
                bs.CrcChecks.Count,
                bs.CrcChecks.All(c => c.Matches),
                bs.CrcChecks.Select(c => new CrcWrite(c.Offset, Hex(c.Expected), Hex(c.Computed), c.Matches)).ToList()),
            footprint is null ? null : new FootprintSummary(
                footprint.Frames,
                footprint.Ranges.Select(r => new Range(r.First.ToString(), r.Last.ToString(), r.Frames, r.First.BlockType.ToString(), r.First.RowName, r.First.Column, r.Last.Column)).ToList(),
                footprint.MaskRanges.Sum(r => r.Frames),
                footprint.UnmappedFrames),
            bs.NopWordsAfterDesync);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    private static string Hex(uint v) => $"0x{v:X8}";
}
