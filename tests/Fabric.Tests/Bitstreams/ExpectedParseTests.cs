using System.Text.Json;
using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>Every real fixture parses exactly as <c>expected-parse.json</c> says, field by field.</summary>
public class ExpectedParseTests
{
    public static TheoryData<string> Files => new(Fixtures.BitFiles);

    [Theory]
    [MemberData(nameof(Files))]
    public void Parse_matches_expected_parse_json(string name)
    {
        var expected = Fixtures.ExpectedParse(name);
        var bytes = Fixtures.Bytes(name);
        var bs = BitstreamReader.Read(bytes);

        Assert.Equal(expected.GetProperty("size").GetInt32(), bytes.Length);
        Assert.Equal(BitstreamFormat.Bit, bs.Format);
        var h = expected.GetProperty("header");
        Assert.NotNull(bs.Header);
        Assert.Equal(h.GetProperty("a").GetString(), bs.Header.DesignInfo);
        Assert.Equal(h.GetProperty("b").GetString(), bs.Header.Part);
        Assert.Equal(h.GetProperty("c").GetString(), bs.Header.Date);
        Assert.Equal(h.GetProperty("d").GetString(), bs.Header.Time);
        Assert.Equal(h.GetProperty("e_length").GetUInt32(), bs.Header.PayloadLength);
        Assert.Equal(h.GetProperty("payload_offset").GetInt32(), bs.PayloadOffset);
        Assert.Equal(expected.GetProperty("sync_word_file_offset").GetInt64(), bs.SyncOffset);

        var partial = expected.GetProperty("partial").GetBoolean();
        Assert.Equal(partial ? BitstreamKind.Partial : BitstreamKind.Full, bs.Kind);
        Assert.Equal(partial, bs.Header.SaysPartial);
        Assert.Equal(Strings(expected, "idcode"), bs.IdCodes.Select(Hex));
        Assert.Equal(Strings(expected, "commands"), bs.Commands.Select(ConfigNames.Command));
        Assert.Equal(Strings(expected, "far_writes"), bs.FarWrites.Select(f => f.ToString()));
        Assert.Equal(
            expected.GetProperty("fdri_writes").EnumerateArray().Select(w => (w.GetProperty("far").GetString(), w.GetProperty("words").GetInt32(), w.GetProperty("frames").GetInt32())),
            bs.FdriWrites.Select(w => ((string?)w.Far.ToString(), w.Words, w.Frames)));
        Assert.Equal(expected.GetProperty("fdri_total_words").GetInt64(), bs.FdriTotalWords);
        Assert.Equal(Strings(expected, "crc_writes"), bs.CrcChecks.Select(c => Hex(c.Expected)));
        Assert.Equal(Strings(expected, "crc_writes"), bs.CrcChecks.Select(c => Hex(c.Computed)));
        Assert.Equal(expected.GetProperty("crc_all_match").GetBoolean(), bs.CrcVerified);
        Assert.Equal(expected.GetProperty("nop_words_after_desync").GetInt32(), bs.NopWordsAfterDesync);
    }

    private static IEnumerable<string?> Strings(JsonElement e, string property) =>
        e.GetProperty(property).EnumerateArray().Select(x => x.GetString());

    private static string Hex(uint v) => $"0x{v:X8}";
}
