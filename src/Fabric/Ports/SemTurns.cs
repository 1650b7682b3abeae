using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Ports;

/// <summary>
/// PCAP and SEM take turns at the configuration engine. On a Zynq-7000 the SEM controller scans the
/// configuration memory through the ICAP while partials arrive through the PCAP, and the engine takes
/// one of them at a time (DEVCFG CTRL.PCAP_PR, UG585). A turn: send the controller <c>I</c> and wait
/// for it to report idle (<c>SC 00</c>, PG036), select the PCAP, write, give the engine back to the
/// ICAP, and send <c>O</c> if the turn was what stopped an observing controller. A controller that does
/// not idle in time fails the write before anything is touched
/// (<see cref="PortFailure.ConfigurationEngineBusy"/>, the region unchanged). One turn at a time.
/// </summary>
/// <remarks>
/// A controller already idle (waiting for a reload after an uncorrectable upset, or idled by an
/// operator) or halted (<c>HLT</c>: it no longer drives the ICAP) is left as it is: whoever stopped it
/// resumes it. Every turn, written or not, is kept in <see cref="Last"/>, counted, and raised as
/// <see cref="TurnTaken"/>.
/// </remarks>
public sealed class SemTurns(SemController sem, DevcfgControl devcfg, SemTurnOptions? options = null, TimeProvider? time = null)
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly SemTurnOptions _options = options ?? SemTurnOptions.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _taken;
    private long _refused;

    public event Action<SemTurn>? TurnTaken;

    public SemController Sem { get; } = sem;

    public DevcfgControl Devcfg { get; } = devcfg;

    /// <summary>Turns in which the port wrote (successfully or not).</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>Turns refused because the controller did not idle.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public SemTurn? Last { get; private set; }

    /// <summary>True while a turn has the configuration engine on the PCAP (as set by the turn; DEVCFG itself is not read).</summary>
    public bool PcapSelected { get; private set; }

    /// <summary>Runs <paramref name="write"/> in a turn of the configuration engine.</summary>
    /// <exception cref="ConfigurationPortException"><see cref="PortFailure.ConfigurationEngineBusy"/> when the controller did not idle; the write's own failure otherwise.</exception>
    public async Task<PortWriteResult> TakeAsync(string image, Func<CancellationToken, Task<PortWriteResult>> write, CancellationToken cancellationToken)
    {
        try
        {
            await _turn.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            throw new ConfigurationPortException(PortFailure.Timeout, false, $"the write of {image} was cancelled while it waited for its turn at the configuration engine: nothing was written", e);
        }
        try
        {
            return await TakeTurnAsync(image, write, cancellationToken);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<PortWriteResult> TakeTurnAsync(string image, Func<CancellationToken, Task<PortWriteResult>> write, CancellationToken cancellationToken)
    {
        Sem.Poll();
        var before = Sem.State;
        var started = _time.GetTimestamp();
        var idled = false;
        if (!IsStill(before))
        {
            string? refusal;
            try
            {
                refusal = await IdleAsync(cancellationToken);
            }
            catch (OperationCanceledException e)
            {
                // The write timed out while the controller was being idled: nothing was selected or written.
                Sem.Observe();
                Record(new SemTurn(image, before, _time.GetElapsedTime(started), Resumed: true, SemTurnOutcome.SemNotIdle, "cancelled while waiting for the SEM controller to idle", _time.GetUtcNow()));
                throw new ConfigurationPortException(PortFailure.Timeout, false, $"the write of {image} was cancelled while the SEM controller was being idled: nothing was written", e);
            }
            if (refusal is not null)
            {
                Record(new SemTurn(image, before, _time.GetElapsedTime(started), Resumed: false, SemTurnOutcome.SemNotIdle, refusal, _time.GetUtcNow()));
                throw new ConfigurationPortException(PortFailure.ConfigurationEngineBusy, false, $"{refusal}: {image} was not written, the PCAP was not selected");
            }
            idled = true;
        }
        var idleWait = _time.GetElapsedTime(started);
        Exception? failure = null;
        try
        {
            Engine(() => Devcfg.SelectPcap(), "select the PCAP");
            PcapSelected = true;
            return await write(cancellationToken);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            try
            {
                Engine(() => Devcfg.SelectIcap(), "give the configuration engine back to the ICAP");
                PcapSelected = false;
            }
            finally
            {
                var resumed = idled && Sem.Observe();
                Record(new SemTurn(image, before, idleWait, resumed, failure is null ? SemTurnOutcome.Written : SemTurnOutcome.WriteFailed, failure?.Message, _time.GetUtcNow()));
            }
        }
    }

    /// <summary>Null once the controller reports idle; otherwise why it did not.</summary>
    private async Task<string?> IdleAsync(CancellationToken cancellationToken)
    {
        if (!Sem.HasLink)
        {
            return Sem.LinkName is null
                ? null
                : $"the SEM controller's line ({Sem.Snapshot().Reason}) is missing, so it cannot be idled";
        }
        if (!Sem.Idle())
        {
            return $"the idle command could not be sent to the SEM controller ({Sem.Snapshot().Reason})";
        }
        var lastSent = _time.GetTimestamp();
        var reached = await Sem.WaitForAsync(IsStill, _options.IdleTimeout, () =>
        {
            if (_time.GetElapsedTime(lastSent) >= _options.RepeatIdleEvery && Sem.State == SemState.Observation)
            {
                Sem.Idle();
                lastSent = _time.GetTimestamp();
            }
        }, cancellationToken);
        if (reached)
        {
            return null;
        }
        var snapshot = Sem.Snapshot();
        return $"the SEM controller did not report idle within {_options.IdleTimeout.TotalMilliseconds:0} ms of the idle command " +
            $"(last state {snapshot.State?.ToString() ?? "never reported"}, line {snapshot.Status.ToString().ToLowerInvariant()}{(snapshot.Reason is { } r ? $": {r}" : "")})";
    }

    /// <summary>States in which the controller does not drive the ICAP (PG036: idle; fatal error halts it). A board without SEM counts as still.</summary>
    private bool IsStill(SemState? state) => !Sem.HasLink && Sem.LinkName is null || state is SemState.Idle or SemState.FatalError;

    private static void Engine(Action change, string what)
    {
        try
        {
            change();
        }
        catch (MmioException e)
        {
            throw new ConfigurationPortException(PortFailure.Unavailable, false, $"could not {what} in DEVCFG CTRL: {e.Message}", e);
        }
    }

    private void Record(SemTurn turn)
    {
        if (turn.Outcome == SemTurnOutcome.SemNotIdle)
        {
            Interlocked.Increment(ref _refused);
        }
        else
        {
            Interlocked.Increment(ref _taken);
        }
        Last = turn;
        TurnTaken?.Invoke(turn);
    }
}
