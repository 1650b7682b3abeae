using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Sem;

/// <summary>
/// A simulated 7-series SEM controller's monitor output: the lines the controller writes when it
/// initializes and when it finds, corrects (or fails to correct) and classifies an upset, in the
/// formats <see cref="SemReportParser"/> reads (docs/sem.md says which are verified against PG036).
/// Flag changes are written only when the flags change, as PG036 says the controller does.
/// </summary>
public sealed class SimulatedSemSource(Device device)
{
    private int _flags;

    public SemState State { get; private set; } = SemState.Idle;

    /// <summary>Power-up: initialization, then observation.</summary>
    public IReadOnlyList<string> Start()
    {
        if (State != SemState.Idle)
        {
            throw new InvalidOperationException($"the controller starts from idle, not {State}");
        }
        return [Enter(SemState.Initialization), Enter(SemState.Observation)];
    }

    /// <summary>The lines one upset produces while the controller observes.</summary>
    public IReadOnlyList<string> Inject(InjectedUpset upset)
    {
        if (State != SemState.Observation)
        {
            throw new InvalidOperationException($"the controller detects upsets only while observing; it is in {State}");
        }
        if (upset.Word is < 0 or > 100 || upset.Bit is < 0 or > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(upset), upset, "a frame has words 0..100 of bits 0..31");
        }
        var linear = device.ToLinear(upset.Frame);
        var location = $"WD {upset.Word:X2} BT {upset.Bit:X2}";
        var lines = new List<string> { Enter(SemState.Correction) };
        if (upset.Correctable)
        {
            lines.AddRange(["SED OK", $"PA {upset.Frame.Value:X8}", $"LA {linear:X8}", location, "COR", location, "END"]);
        }
        else
        {
            // The only reason an error is uncorrectable is that it cannot be located (PG036
            // "Classification"): the frame is known, the bit is not.
            lines.AddRange(["SED NG", $"PA {upset.Frame.Value:X8}", $"LA {linear:X8}", "END"]);
        }
        lines.Add(Enter(SemState.Classification));
        var flags = (upset.Correctable ? 0 : 0x20) | (upset.Essential || !upset.Correctable ? 0x40 : 0);
        if (flags != _flags)
        {
            _flags = flags;
            lines.Add($"FC {flags:X2}");
        }
        // After an uncorrectable error the controller stops looking and waits in idle (PG036 "Classification").
        lines.Add(Enter(upset.Correctable ? SemState.Observation : SemState.Idle));
        return lines;
    }

    /// <summary>Back to observation after an uncorrectable error, once the device has been reconfigured.</summary>
    public IReadOnlyList<string> Resume()
    {
        if (State != SemState.Idle)
        {
            throw new InvalidOperationException($"the controller resumes observation from idle, not {State}");
        }
        return [Enter(SemState.Observation)];
    }

    /// <summary>
    /// A monitor command (PG036): <c>I</c> idles an observing controller, <c>O</c> returns an idle one to
    /// observation, <c>S</c> answers with a status report (MF, SN, SC, FC, FS; PG036 "Status Report") in
    /// observation or idle. Anything else, or a command in another state, is ignored, as the controller does.
    /// </summary>
    /// <returns>The lines the controller writes in answer.</returns>
    public IReadOnlyList<string> Command(char command) => (command, State) switch
    {
        ('I', SemState.Observation) => [Enter(SemState.Idle)],
        ('O', SemState.Idle) => [Enter(SemState.Observation)],
        ('S', SemState.Observation or SemState.Idle) =>
        [
            $"MF {Math.Max(0, device.ConfigurationFrames - 1):X8}",
            "SN 00",
            $"SC {(int)State:X2}",
            $"FC {_flags:X2}",
            // The feature set byte is not decoded here; the parser checks only its two hex digits.
            "FS 00",
        ],
        _ => [],
    };

    private string Enter(SemState state)
    {
        State = state;
        return $"SC {(int)state:X2}";
    }
}
