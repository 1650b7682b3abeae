using System.Text.Json;
using System.Text.Json.Serialization;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
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
    int NopWordsAfterDesync,
    IReadOnlyList<BitstreamReport.Write> Writes,
    IReadOnlyList<BitstreamReport.MultiFrame> MultiFrameWrites,
    int Sessions,
    BitstreamReport.PartialRules? Partial,
    BitstreamReport.Mask? CfgClbMask)
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
    /// <param name="UncheckedFrameData">Byte offset of the first frame-data word no later CRC check covers; null when all are covered.</param>
    public sealed record CrcSummary(int Checks, bool AllMatch, IReadOnlyList<CrcWrite> Writes, long? UncheckedFrameData);

    /// <summary>One register write as the engine applies it (<c>"CMD IPROG"</c>, <c>"FAR=0x00001E00"</c>) and the packet type that carried it.</summary>
    public sealed record Write(long Offset, string Register, string Value, string Text, int HeaderType, int Session);

    public sealed record MultiFrame(long Offset, string Far);

    /// <summary>The partial allow-list's verdict (docs/bitstreams.md): ok, or the first thing a partial may not do and where.</summary>
    public sealed record PartialRules(bool Ok, long? Offset, string? Reason);

    /// <summary>The CFG_CLB mask burst in the shape a board profile records it (<c>partitions[].cfgClbMask</c>).</summary>
    public sealed record Mask(string Word, IReadOnlyList<MaskRowSummary> Rows);

    public sealed record MaskRowSummary(string Half, int Row, string Columns);

    public sealed record Range(string First, string Last, int Frames, string BlockType, string Row, int FirstColumn, int LastColumn);

    public sealed record FootprintSummary(int Frames, IReadOnlyList<Range> Ranges, int MaskFrames, int UnmappedFrames);

    public static BitstreamReport Of(string file, Bitstream bs)
    {
        var device = bs.IdCode is { } id ? DeviceCatalog.ByIdCode(id) : null;
        var mapped = device is { HasFrameMap: true } ? device : null;
        var footprint = mapped is null ? null : Fabric.Bitstreams.Footprint.Of(bs, mapped);
        var partial = bs.Kind == BitstreamKind.Partial || bs.Header?.SaysPartial == true;
        var violation = partial && mapped is not null ? PartialAllowList.Check(bs, mapped) : null;
        var maskBurst = partial && mapped is not null && PartialAllowList.MaskBurst(bs) is { } burst ? MaskBurst.Of(bs, burst, mapped) : null;
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
                bs.CrcChecks.Select(c => new CrcWrite(c.Offset, Hex(c.Expected), Hex(c.Computed), c.Matches)).ToList(),
                bs.UncheckedFrameData),
            footprint is null ? null : new FootprintSummary(
                footprint.Frames,
                footprint.Ranges.Select(r => new Range(r.First.ToString(), r.Last.ToString(), r.Frames, r.First.BlockType.ToString(), r.First.RowName, r.First.Column, r.Last.Column)).ToList(),
                footprint.MaskRanges.Sum(r => r.Frames),
                footprint.UnmappedFrames),
            bs.NopWordsAfterDesync,
            bs.RegisterWrites.Select(w => new Write(w.Offset, w.RegisterName, Hex(w.Value), w.ToString(), w.HeaderType, w.Session)).ToList(),
            bs.MultiFrameWrites.Select(w => new MultiFrame(w.Offset, w.Far.ToString())).ToList(),
            bs.Sessions,
            partial && mapped is not null ? new PartialRules(violation is null, violation?.Offset, violation?.Problem) : null,
            maskBurst is null ? null : new Mask(Hex(maskBurst.Word), maskBurst.Rows.Select(r => new MaskRowSummary(r.Bottom ? "bottom" : "top", r.Row, r.ToString().Split(' ', 2)[1])).ToList()));
    }

    /// <summary>What <c>inspect</c> exits with: malformed input never gets here; CRC problems first, then a partial's allow-list.</summary>
    public int ExitCode =>
        !Crc.AllMatch || Crc.UncheckedFrameData is not null ? ExitCodes.CrcMismatch
        : Partial is { Ok: false } ? ExitCodes.OutsidePartition
        : ExitCodes.Ok;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    private static string Hex(uint v) => $"0x{v:X8}";
}
