using System.Text;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Sem;

namespace Dpr.Fuzz;

/// <summary>
/// The SEM controller's monitor output as the service reads it: <see cref="SemReportParser.Parse(TextReader, Fabric.Devices.Device)"/>
/// for the board's device, then <see cref="UpsetLocator.Locate(UpsetReport)"/> for every upset.
/// Expected: <see cref="SemReportException"/>.
/// </summary>
public sealed class SemReportTarget : IFuzzTarget
{
    private static readonly Board Board = BoardCatalog.Load("pynq-z2-composable");
    private static readonly UpsetLocator Locator = new(Board);

    public string Name => "sem";

    public string Description => "SemReportParser.Parse (xc7z020 monitor text), UpsetLocator.Locate";

    public void Run(byte[] input)
    {
        IReadOnlyList<SemEvent> events;
        try
        {
            events = SemReportParser.Parse(new StringReader(Encoding.UTF8.GetString(input)), Board.Device);
        }
        catch (SemReportException)
        {
            return;
        }
        foreach (var upset in events.OfType<UpsetReport>())
        {
            _ = Locator.Locate(upset);
        }
    }

    public IEnumerable<byte[]> Dictionary => Tokens.Of(
        "SC ", "FC ", "MF ", "SN ", "FS ", "HLT", "SED OK", "SED NG", "PA ", "LA ", "WD ", " BT ", "COR", "END", "00", "01", "02", "04",
        "08", "10", "20", "40", "60", "FF", "00001F07", "0000086B", "0000270B", "FFFFFFFF", "\n", "\r\n", "O>");

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        // The real fixtures hold no SEM transcript: the seeds are the simulated controller's output for
        // upsets in the partitions of the real composable overlay, and PG036's status report lines.
        var source = new SimulatedSemSource(Board.Device);
        var lines = new List<string>(source.Start());
        foreach (var partition in Board.Partitions)
        {
            lines.AddRange(source.Inject(new InjectedUpset(Board.FramesOf(partition).First(), 50, 9, Correctable: true)));
        }
        yield return new Seed("simulated-correctable.txt", Lines(lines));
        lines.AddRange(source.Inject(new InjectedUpset(Board.FramesOf(Board.Partitions[0]).Last(), 3, 31, Correctable: false)));
        lines.AddRange(source.Resume());
        yield return new Seed("simulated-uncorrectable.txt", Lines(lines));
        yield return new Seed("status-report.txt", Lines(["SC 02", "MF 0000270B", "SN 00", "SC 02", "FC 00", "FS 00", "O>"]));
        yield return new Seed("linear-only.txt", Lines(["SC 04", "SED OK", "LA 0000086B", "WD 32 BT 09", "COR", "WD 32 BT 09", "END", "SC 08", "FC 40", "SC 02", "HLT"]));
    }

    private static byte[] Lines(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
}
