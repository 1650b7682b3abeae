using System.Globalization;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Sem;

/// <summary>
/// Reads the 7-series SEM controller's monitor output (its UART text, PG036 v4.1 chapter 3 "Monitor
/// Interface") line by line into <see cref="SemEvent"/>s. Formats and what is verified: docs/sem.md.
/// </summary>
/// <remarks>
/// <para>Verified in PG036: <c>SC xx</c> state changes, <c>FC xx</c> flag changes, <c>HLT</c>, and the
/// status report lines <c>MF</c> (8 hex digits), <c>SN</c>, <c>SC</c>, <c>FC</c>, <c>FS</c> (2 hex digits).</para>
/// <para>Assumed (the PG036 pages describing them were not available to check): the correction report
/// opened by <c>SED OK</c>/<c>SED NG</c>, with <c>PA</c> (physical frame address, the FAR), <c>LA</c>
/// (linear frame address), <c>WD ww BT bb</c> (word and bit, hexadecimal), <c>COR</c> (the bits after it
/// were corrected) and <c>END</c>; the line shapes are those of PG187's UltraScale example. So the
/// parser is tolerant where it can be: a report also closes when the controller leaves the correction
/// state, <c>PA</c> wins over <c>LA</c> when both appear, and lines it does not know (the banner,
/// <c>ICAP OK</c>, prompts and echoed commands) are skipped. A line that starts with a report keyword
/// but does not fit its format is a <see cref="SemReportException"/>.</para>
/// <para>Classification: the essential flag of an upset is the controller's flags when it leaves the
/// classification state (PG036 "Classification": it updates <c>status_essential</c> there, and reports
/// every flag change), so upsets are emitted just before the state change that ends classification.</para>
/// </remarks>
public sealed class SemReportParser(Device device)
{
    private const int FrameWords = 101;
    private const int WordBits = 32;

    private readonly List<PendingUpset> _pending = [];
    private Report? _report;
    private int _line;
    private bool _essential;

    /// <summary>The last state the controller reported, null before the first.</summary>
    public SemState? State { get; private set; }

    public static IReadOnlyList<SemEvent> Parse(IEnumerable<string> lines, Device device)
    {
        var parser = new SemReportParser(device);
        var events = new List<SemEvent>();
        foreach (var line in lines)
        {
            events.AddRange(parser.Push(line));
        }
        events.AddRange(parser.Complete());
        return events;
    }

    public static IReadOnlyList<SemEvent> Parse(TextReader reader, Device device)
    {
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }
        return Parse(lines, device);
    }

    /// <summary>The events the next line of output completes (often none: reports span lines).</summary>
    public IReadOnlyList<SemEvent> Push(string text)
    {
        _line++;
        var tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return [];
        }
        var events = new List<SemEvent>();
        switch (tokens[0])
        {
            case "SC":
                var state = StateCode(tokens, text);
                CloseReport();
                if (state is not SemState.Classification and not SemState.Correction)
                {
                    Flush(events);
                }
                State = state;
                events.Add(new SemStateChanged(_line, state));
                break;
            case "FC":
                var flags = Hex(tokens, 2, text);
                _essential = (flags & 0x40) != 0;
                events.Add(new SemFlagsChanged(_line, (flags & 0x20) != 0, _essential));
                break;
            case "HLT":
                Arguments(tokens, 0, text);
                CloseReport();
                Flush(events);
                State = SemState.FatalError;
                events.Add(new SemHalted(_line));
                break;
            case "SED":
                Arguments(tokens, 1, text);
                if (tokens[1] is not ("OK" or "NG"))
                {
                    throw new SemReportException(_line, text, "expected SED OK or SED NG");
                }
                // OK: the ECC syndrome located the error; NG: it did not (assumed meaning). The
                // outcome is decided by COR either way.
                CloseReport();
                _report = new Report(_line);
                break;
            case "PA":
                OpenReport(text).Physical = (uint)Hex(tokens, 8, text);
                break;
            case "LA":
                var report = OpenReport(text);
                report.Linear = (int)Hex(tokens, 8, text);
                report.LinearLine = _line;
                break;
            case "WD":
                Arguments(tokens, 3, text);
                if (tokens[2] != "BT")
                {
                    throw new SemReportException(_line, text, "expected WD {word} BT {bit}");
                }
                var word = (int)Hex(tokens, 1, 2, text);
                var bit = (int)Hex(tokens, 3, 2, text);
                if (word >= FrameWords || bit >= WordBits)
                {
                    throw new SemReportException(_line, text, $"word {word} bit {bit} is outside a frame of {FrameWords} 32-bit words");
                }
                var open = OpenReport(text);
                (open.Corrected ? open.CorrectedBits : open.DetectedBits).Add((word, bit));
                break;
            case "COR":
                Arguments(tokens, 0, text);
                OpenReport(text).Corrected = true;
                break;
            case "END":
                Arguments(tokens, 0, text);
                if (_report is null)
                {
                    throw new SemReportException(_line, text, "END without a correction report");
                }
                CloseReport();
                break;
            case "MF":
                Hex(tokens, 8, text);
                break;
            case "SN" or "FS":
                Hex(tokens, 2, text);
                break;
        }
        return events;
    }

    /// <summary>The end of the output: what is still waiting for its classification.</summary>
    public IReadOnlyList<SemEvent> Complete()
    {
        CloseReport();
        var events = new List<SemEvent>();
        Flush(events);
        return events;
    }

    private Report OpenReport(string text)
    {
        if (_report is null)
        {
            if (State != SemState.Correction)
            {
                throw new SemReportException(_line, text, $"a correction report line outside the correction state (state {State?.ToString() ?? "not yet reported"})");
            }
            _report = new Report(_line);
        }
        return _report;
    }

    private void CloseReport()
    {
        if (_report is not { } report)
        {
            return;
        }
        _report = null;
        FrameAddress? frame = report.Physical is { } pa ? new FrameAddress(pa) : null;
        if (frame is null && report.Linear is { } la)
        {
            try
            {
                frame = device.FromLinear(la);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
            {
                throw new SemReportException(report.LinearLine, $"LA {la:X8}", e.Message);
            }
        }
        var outcome = report.Corrected ? UpsetOutcome.Corrected : UpsetOutcome.Uncorrectable;
        var bits = report.CorrectedBits.Count > 0 ? report.CorrectedBits : report.DetectedBits;
        if (bits.Count == 0)
        {
            _pending.Add(new PendingUpset(report.Line, frame, report.Linear, null, null, outcome));
        }
        foreach (var (word, bit) in bits)
        {
            _pending.Add(new PendingUpset(report.Line, frame, report.Linear, word, bit, outcome));
        }
    }

    private void Flush(List<SemEvent> events)
    {
        events.AddRange(_pending.Select(p => new UpsetReport(p.Line, p.Frame, p.Linear, p.Word, p.Bit, p.Outcome, _essential)));
        _pending.Clear();
    }

    private SemState StateCode(string[] tokens, string text)
    {
        var code = Hex(tokens, 2, text);
        if (!Enum.IsDefined(typeof(SemState), (int)code))
        {
            throw new SemReportException(_line, text, $"state code {code:X2} is none of PG036's (00, 01, 02, 04, 08, 10, 1F)");
        }
        return (SemState)(int)code;
    }

    /// <summary>The one hexadecimal argument of a report line.</summary>
    private long Hex(string[] tokens, int digits, string text)
    {
        Arguments(tokens, 1, text);
        return Hex(tokens, 1, digits, text);
    }

    private long Hex(string[] tokens, int index, int digits, string text)
    {
        var token = tokens[index];
        if (token.Length != digits || !long.TryParse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw new SemReportException(_line, text, $"expected {digits} hexadecimal digits after {tokens[index - 1]}, found '{token}'");
        }
        return value;
    }

    private void Arguments(string[] tokens, int count, string text)
    {
        if (tokens.Length != count + 1)
        {
            throw new SemReportException(_line, text, $"{tokens[0]} takes {count} argument{(count == 1 ? "" : "s")}, found {tokens.Length - 1}");
        }
    }

    private sealed class Report(int line)
    {
        public int Line { get; } = line;

        public uint? Physical { get; set; }

        public int? Linear { get; set; }

        public int LinearLine { get; set; }

        public bool Corrected { get; set; }

        public List<(int Word, int Bit)> DetectedBits { get; } = [];

        public List<(int Word, int Bit)> CorrectedBits { get; } = [];
    }

    private sealed record PendingUpset(int Line, FrameAddress? Frame, int? Linear, int? Word, int? Bit, UpsetOutcome Outcome);
}
