using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Devices;
using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Tests.Sem;

public class SimulatedSemSourceTests
{
    private static readonly Board Board = BoardCatalog.Load("pynq-z2-composable");
    private static readonly Device Z020 = Board.Device;

    private static FrameAddress InPrJoin => FrameAddress.Create(BlockType.CLB_IO_CLK, false, 0, 62, 7);

    [Fact]
    public void A_correctable_upset_is_written_as_a_correction_then_a_classification()
    {
        var sem = new SimulatedSemSource(Z020);
        sem.Start();

        var lines = sem.Inject(new InjectedUpset(InPrJoin, 50, 9, Correctable: true));

        Assert.Equal(
            ["SC 04", "SED OK", $"PA {InPrJoin.Value:X8}", $"LA {Z020.ToLinear(InPrJoin):X8}", "WD 32 BT 09", "COR", "WD 32 BT 09", "END", "SC 08", "FC 40", "SC 02"],
            lines);
        Assert.Equal(SemState.Observation, sem.State);
    }

    [Fact]
    public void Flags_are_reported_only_when_they_change()
    {
        var sem = new SimulatedSemSource(Z020);
        sem.Start();

        var first = sem.Inject(new InjectedUpset(InPrJoin, 1, 1, true, Essential: true));
        var same = sem.Inject(new InjectedUpset(InPrJoin, 2, 2, true, Essential: true));
        var cleared = sem.Inject(new InjectedUpset(InPrJoin, 3, 3, true, Essential: false));

        Assert.Contains("FC 40", first);
        Assert.DoesNotContain(same, l => l.StartsWith("FC", StringComparison.Ordinal));
        Assert.Contains("FC 00", cleared);
    }

    [Fact]
    public void Injected_upsets_round_trip_through_the_parser()
    {
        var random = new Random(7);
        var sem = new SimulatedSemSource(Z020);
        var injected = Enumerable.Range(0, 200)
            .Select(i => new InjectedUpset(Z020.FromLinear(random.Next(Z020.LinearFrameCount())), random.Next(101), random.Next(32),
                Correctable: i % 50 != 49, Essential: random.Next(2) == 0))
            .ToList();
        var lines = new List<string>(sem.Start());
        foreach (var upset in injected)
        {
            lines.AddRange(sem.Inject(upset));
            if (!upset.Correctable)
            {
                lines.AddRange(sem.Resume());
            }
        }

        var parsed = SemReportParser.Parse(lines, Z020).OfType<UpsetReport>().ToList();

        // The controller cannot say which bit of an uncorrectable frame is wrong, and such an error is always essential.
        var expected = injected.Select(u => u.Correctable
            ? (u.Frame, (int?)Z020.ToLinear(u.Frame), (int?)u.Word, (int?)u.Bit, UpsetOutcome.Corrected, u.Essential)
            : (u.Frame, Z020.ToLinear(u.Frame), null, null, UpsetOutcome.Uncorrectable, true));
        Assert.Equal(expected, parsed.Select(p => (p.Frame!.Value, p.LinearFrame, p.Word, p.Bit, p.Outcome, p.Essential)));
    }

    [Fact]
    public void The_state_changes_round_trip_too()
    {
        var sem = new SimulatedSemSource(Z020);
        var lines = new List<string>(sem.Start());
        lines.AddRange(sem.Inject(new InjectedUpset(InPrJoin, 0, 0, Correctable: false)));

        var states = SemReportParser.Parse(lines, Z020).OfType<SemStateChanged>().Select(s => s.State);

        Assert.Equal([SemState.Initialization, SemState.Observation, SemState.Correction, SemState.Classification, SemState.Idle], states);
    }

    [Fact]
    public void The_controller_reports_nothing_unless_it_observes()
    {
        var sem = new SimulatedSemSource(Z020);

        Assert.Throws<InvalidOperationException>(() => sem.Inject(new InjectedUpset(InPrJoin, 0, 0, true)));
        sem.Start();
        sem.Inject(new InjectedUpset(InPrJoin, 0, 0, Correctable: false));
        Assert.Throws<InvalidOperationException>(() => sem.Inject(new InjectedUpset(InPrJoin, 0, 0, true)));
    }

    [Theory]
    [InlineData(101, 0)]
    [InlineData(0, 32)]
    [InlineData(-1, 0)]
    public void A_bit_outside_a_frame_cannot_be_injected(int word, int bit)
    {
        var sem = new SimulatedSemSource(Z020);
        sem.Start();

        Assert.Throws<ArgumentOutOfRangeException>(() => sem.Inject(new InjectedUpset(InPrJoin, word, bit, true)));
    }
}
