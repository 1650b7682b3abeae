using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;
using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Tests.Sem;

public class SemReportParserTests
{
    private static readonly Device Z020 = DeviceCatalog.ByName("xc7z020")!;

    private static IReadOnlyList<SemEvent> Parse(params string[] lines) => SemReportParser.Parse(lines, Z020);

    [Fact]
    public void State_changes_are_decoded_and_the_banner_and_prompts_are_skipped()
    {
        var events = Parse("X7_SEM_V4_1", "SC 01", "FS 3A", "ICAP OK", "SC 02", "", "O> S", "MF 0000270B");

        Assert.Equal([new SemStateChanged(2, SemState.Initialization), new SemStateChanged(5, SemState.Observation)], events);
    }

    [Theory]
    [InlineData("SC 00", SemState.Idle)]
    [InlineData("SC 04", SemState.Correction)]
    [InlineData("SC 08", SemState.Classification)]
    [InlineData("SC 10", SemState.Injection)]
    [InlineData("SC 1F", SemState.FatalError)]
    public void Every_pg036_state_code_decodes(string line, SemState state)
    {
        Assert.Equal(new SemStateChanged(1, state), Assert.Single(Parse(line)));
    }

    [Theory]
    [InlineData("FC 00", false, false)]
    [InlineData("FC 20", true, false)]
    [InlineData("FC 40", false, true)]
    [InlineData("FC 60", true, true)]
    public void Flag_changes_decode_as_pg036_table_3_3(string line, bool uncorrectable, bool essential)
    {
        Assert.Equal(new SemFlagsChanged(1, uncorrectable, essential), Assert.Single(Parse(line)));
    }

    [Fact]
    public void Halt_is_the_fatal_error()
    {
        var parser = new SemReportParser(Z020);

        Assert.Equal([new SemHalted(1)], parser.Push("HLT"));
        Assert.Equal(SemState.FatalError, parser.State);
    }

    [Fact]
    public void A_corrected_essential_upset_takes_its_frame_from_pa_and_its_class_from_the_flags()
    {
        var far = FrameAddress.Create(BlockType.CLB_IO_CLK, false, 0, 61, 3);

        var events = Parse("SC 02", "SC 04", "SED OK", $"PA {far.Value:X8}", "LA 00000000", "WD 32 BT 1F", "COR", "WD 32 BT 1F", "END",
            "SC 08", "FC 40", "SC 02");

        var upset = Assert.Single(events.OfType<UpsetReport>());
        Assert.Equal(new UpsetReport(3, far, 0, 0x32, 0x1F, UpsetOutcome.Corrected, Essential: true), upset);
        // Emitted when classification ends: after its flag change, before the return to observation.
        Assert.IsType<SemFlagsChanged>(events[^3]);
        Assert.Equal(new SemStateChanged(12, SemState.Observation), events[^1]);
    }

    [Fact]
    public void Without_pa_the_linear_frame_address_is_converted_through_the_device_map()
    {
        var events = Parse("SC 04", "SED OK", $"LA {3 * 2564:X8}", "WD 00 BT 05", "COR", "WD 00 BT 05", "END", "SC 08", "SC 02");

        var upset = Assert.Single(events.OfType<UpsetReport>());
        Assert.Equal(FrameAddress.Create(BlockType.BLOCK_RAM, false, 0, 0, 0), upset.Frame);
        Assert.False(upset.Essential);
    }

    [Fact]
    public void An_unlocated_uncorrectable_error_has_no_frame_and_is_essential()
    {
        var events = Parse("SC 04", "SED NG", "END", "SC 08", "FC 60", "SC 00");

        var upset = Assert.Single(events.OfType<UpsetReport>());
        Assert.Equal(new UpsetReport(2, null, null, null, null, UpsetOutcome.Uncorrectable, true), upset);
    }

    [Fact]
    public void A_report_without_end_closes_when_the_controller_leaves_correction()
    {
        var events = Parse("SC 04", "SED OK", "PA 00000000", "WD 01 BT 02", "COR", "SC 08", "SC 02");

        var upset = Assert.Single(events.OfType<UpsetReport>());
        Assert.Equal((1, 2, UpsetOutcome.Corrected), (upset.Word, upset.Bit, upset.Outcome));
    }

    [Fact]
    public void Upsets_still_waiting_for_classification_come_out_at_the_end()
    {
        var events = Parse("SC 04", "SED OK", "PA 00000100", "WD 01 BT 02", "COR", "END", "SC 08");

        Assert.Equal(new FrameAddress(0x100), Assert.IsType<UpsetReport>(events[^1]).Frame);
    }

    [Theory]
    [InlineData(new[] { "SC 02", "SC 4" }, 2, "2 hexadecimal digits")]
    [InlineData(new[] { "SC 03" }, 1, "state code 03")]
    [InlineData(new[] { "FC" }, 1, "takes 1 argument")]
    [InlineData(new[] { "SC 04", "SED OK", "PA 1234" }, 3, "8 hexadecimal digits")]
    [InlineData(new[] { "SC 04", "SED OK", "WD 65 BT 00" }, 3, "word 101")]
    [InlineData(new[] { "SC 04", "SED OK", "WD 00 BT 20" }, 3, "bit 32")]
    [InlineData(new[] { "SC 04", "SED OK", "WD 00 XX 01" }, 3, "WD {word} BT {bit}")]
    [InlineData(new[] { "SC 04", "SED MAYBE" }, 2, "SED OK or SED NG")]
    [InlineData(new[] { "SC 02", "END" }, 2, "END without")]
    [InlineData(new[] { "SC 02", "PA 00000000" }, 2, "outside the correction state")]
    [InlineData(new[] { "SC 04", "SED OK", "LA 00FFFFFF", "END", "SC 08" }, 3, "linear frames 0..9995")]
    public void A_malformed_report_line_names_its_line(string[] lines, int line, string problem)
    {
        var e = Assert.Throws<SemReportException>(() => SemReportParser.Parse(lines, Z020));

        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Problem);
    }
}
