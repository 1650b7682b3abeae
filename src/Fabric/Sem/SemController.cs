using System.Text;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Sem;

/// <summary>
/// The SEM controller on its monitor line (PG036 v4.1 chapter 3, "Monitor Interface"): reads what it
/// writes, line by line, keeps its state, and sends it the commands dpr needs — <c>S</c> (status
/// report, answered in observation or idle; PG036 "Status Report"), <c>I</c> (enter idle) and
/// <c>O</c> (enter observation) (the directed state changes; PG187 "Directed State Changes" names the
/// same letters for the UltraScale controller, and <c>hardware/vivado/sem_static.v</c> relies on them).
/// A command ends with CR (PG036: the terminal transmits CR as end of line); the controller ends its
/// lines with CR LF, so both end a line here.
/// </summary>
/// <remarks>
/// Thread-safe: the poll loop (<see cref="RunAsync"/>) and a configuration turn (<c>SemTurns</c>, waiting
/// for idle) both read the line; every line read, by whichever caller, goes to <see cref="Output"/> once
/// and in order, so the monitor actor sees the whole output. A missing or silent controller is a
/// status (<see cref="Status"/>), never an exception out of <see cref="Poll"/> or <see cref="RunAsync"/>.
/// </remarks>
public sealed class SemController : IDisposable
{
    public const char StatusCommand = 'S';
    public const char IdleCommand = 'I';
    public const char ObserveCommand = 'O';

    private readonly Lock _lock = new();
    private readonly ISemLink? _link;
    private readonly SemReportParser _parser;
    private readonly TimeProvider _time;
    private readonly StringBuilder _partial = new();
    private readonly byte[] _buffer = new byte[256];
    private SemLinkStatus _status;
    private string? _reason;
    private string? _lastLine;
    private DateTimeOffset? _lastHeard;
    private DateTimeOffset? _awaitingSince;
    private DateTimeOffset _lastPing;

    public SemController(ISemLink link, Device device, SemControllerOptions? options = null, TimeProvider? time = null)
        : this(link, link.Name, null, device, options, time)
    {
    }

    private SemController(ISemLink? link, string? name, string? missing, Device device, SemControllerOptions? options, TimeProvider? time)
    {
        _link = link;
        LinkName = name;
        _parser = new SemReportParser(device);
        Options = options ?? SemControllerOptions.Default;
        _time = time ?? TimeProvider.System;
        _lastPing = _time.GetUtcNow();
        (_status, _reason) = link is not null ? (SemLinkStatus.Waiting, null) : name is null ? (SemLinkStatus.None, null) : (SemLinkStatus.Missing, missing);
    }

    /// <summary>Lines as the controller wrote them, in order, whoever read them off the line.</summary>
    public event Action<IReadOnlyList<string>>? Output;

    public string? LinkName { get; }

    public SemControllerOptions Options { get; }

    /// <summary>True when there is a line to the controller (it may still be silent).</summary>
    public bool HasLink => _link is not null;

    public SemLinkStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>The state the controller last reported; null before the first report.</summary>
    public SemState? State
    {
        get
        {
            lock (_lock)
            {
                return _parser.State;
            }
        }
    }

    /// <summary>A board without a SEM controller: nothing to read, nothing to idle.</summary>
    public static SemController None(Device device) => new(null, null, null, device, null, null);

    /// <summary>A controller whose line could not be opened: <see cref="SemLinkStatus.Missing"/> with the reason, for good.</summary>
    public static SemController Missing(string link, string reason, Device device) => new(null, link, reason, device, null, null);

    public SemControllerStatus Snapshot()
    {
        lock (_lock)
        {
            return new SemControllerStatus(LinkName, _status, _parser.State, _lastLine, _lastHeard, _reason);
        }
    }

    /// <summary>Reads what the controller wrote since the last poll; the lines go to <see cref="Output"/>.</summary>
    public void Poll()
    {
        lock (_lock)
        {
            if (_link is null || _status == SemLinkStatus.Missing)
            {
                return;
            }
            var lines = new List<string>();
            try
            {
                int read;
                while ((read = _link.Read(_buffer)) > 0)
                {
                    Heard();
                    Split(_buffer.AsSpan(0, read), lines);
                }
            }
            catch (SemLinkException e)
            {
                Lost(e);
            }
            if (_awaitingSince is { } since && _time.GetUtcNow() - since > Options.ResponseTimeout && _status != SemLinkStatus.Silent)
            {
                _status = SemLinkStatus.Silent;
                _reason = $"no answer from {LinkName} within {Options.ResponseTimeout.TotalMilliseconds:0} ms of a command";
            }
            foreach (var line in lines)
            {
                try
                {
                    _parser.Push(line);
                }
                catch (SemReportException)
                {
                    // The monitor actor parses the same lines and logs what it cannot read.
                }
            }
            lines.RemoveAll(l => l.Length == 0);
            if (lines.Count > 0)
            {
                _lastLine = lines[^1];
                Output?.Invoke(lines);
            }
        }
    }

    /// <summary>Sends a one-letter command (PG036 monitor commands); false when the line is gone (the status says why).</summary>
    public bool Send(char command)
    {
        lock (_lock)
        {
            if (_link is null || _status == SemLinkStatus.Missing)
            {
                return false;
            }
            try
            {
                _link.Write([(byte)command, (byte)'\r']);
            }
            catch (SemLinkException e)
            {
                Lost(e);
                return false;
            }
            _awaitingSince ??= _time.GetUtcNow();
            return true;
        }
    }

    public bool RequestStatus() => Send(StatusCommand);

    public bool Idle() => Send(IdleCommand);

    public bool Observe() => Send(ObserveCommand);

    /// <summary>
    /// Polls until the reported state satisfies <paramref name="reached"/> or <paramref name="timeout"/>
    /// passes; <paramref name="whileWaiting"/> runs after each poll that did not (to repeat a command).
    /// </summary>
    /// <returns>Whether the state was reached.</returns>
    public async Task<bool> WaitForAsync(Func<SemState?, bool> reached, TimeSpan timeout, Action? whileWaiting, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (true)
        {
            Poll();
            if (reached(State))
            {
                return true;
            }
            if (_time.GetUtcNow() >= deadline || Status == SemLinkStatus.Missing)
            {
                return false;
            }
            whileWaiting?.Invoke();
            await Task.Delay(Options.PollInterval, _time, cancellationToken);
        }
    }

    /// <summary>
    /// The poll loop: asks for a status report first (so the state is known and a silent line shows),
    /// then reads every <see cref="SemControllerOptions.PollInterval"/> and pings every
    /// <see cref="SemControllerOptions.PingInterval"/>. Ends when cancelled; never throws otherwise.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_link is null)
        {
            return;
        }
        RequestStatus();
        while (!cancellationToken.IsCancellationRequested)
        {
            Poll();
            if (_time.GetUtcNow() - _lastPing >= Options.PingInterval)
            {
                _lastPing = _time.GetUtcNow();
                RequestStatus();
            }
            try
            {
                await Task.Delay(Options.PollInterval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose() => _link?.Dispose();

    private void Heard()
    {
        _awaitingSince = null;
        _lastHeard = _time.GetUtcNow();
        _lastPing = _lastHeard.Value;
        _status = SemLinkStatus.Responding;
        _reason = null;
    }

    private void Lost(SemLinkException e)
    {
        _status = SemLinkStatus.Missing;
        _reason = e.Message;
    }

    /// <summary>
    /// The monitor's prompt (a state letter and '>', e.g. "O>"; assumed from PG036's examples, not
    /// verified) may precede the next line on the wire: it is dropped so the report keyword leads.
    /// </summary>
    private static string WithoutPrompt(string line) =>
        line.Length >= 2 && char.IsAsciiLetterUpper(line[0]) && line[1] == '>' ? line[2..].TrimStart() : line;

    private void Split(ReadOnlySpan<byte> bytes, List<string> lines)
    {
        foreach (var b in bytes)
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                if (_partial.Length > 0)
                {
                    lines.Add(WithoutPrompt(_partial.ToString()));
                    _partial.Clear();
                }
                continue;
            }
            // The monitor writes ASCII; anything else is line noise, kept visible rather than dropped.
            _partial.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }
    }
}
