using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>PCAP and SEM taking turns at the configuration engine, over the register-level UART Lite and DEVCFG of the simulated board.</summary>
public class SemTurnsTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");
    private static readonly SemTurnOptions Quick = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(20));
    private static readonly PortWriteResult Done = new(TimeSpan.FromMilliseconds(1), 100);

    private static (SimulatedBoard Board, SemTurns Turns, List<SemTurn> Recorded) Connect()
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));
        var sem = new SemController(UartLiteLink.Open(board, SimulatedBoard.DefaultSemUartAddress), PynqZ2.Device);
        sem.RequestStatus();
        sem.Poll();
        var turns = new SemTurns(sem, DevcfgControl.Open(board, PynqZ2.DevcfgAddress), Quick);
        var recorded = new List<SemTurn>();
        turns.TurnTaken += recorded.Add;
        return (board, turns, recorded);
    }

    [Fact]
    public async Task A_turn_idles_sem_selects_the_pcap_for_the_write_then_gives_the_icap_back_and_resumes_observation()
    {
        var (board, turns, recorded) = Connect();
        (bool Pcap, SemState Sem)? during = null;

        var result = await turns.TakeAsync("conv3x3_int8", _ =>
        {
            during = (board.Devcfg.PcapSelected, board.Sem.State);
            return Task.FromResult(Done);
        }, CancellationToken.None);

        Assert.Same(Done, result);
        Assert.Equal((true, SemState.Idle), during);
        Assert.False(board.Devcfg.PcapSelected);
        Assert.Equal(SemState.Observation, board.Sem.State);
        Assert.Equal((1, 1, 0), (board.Devcfg.PcapSelections, board.Devcfg.IcapSelections, board.Devcfg.Collisions));
        var turn = Assert.Single(recorded);
        Assert.Equal(("conv3x3_int8", SemState.Observation, true, SemTurnOutcome.Written, (string?)null), (turn.Image, turn.SemBefore, turn.Resumed, turn.Outcome, turn.Reason));
        Assert.Equal((1L, 0L), (turns.Taken, turns.Refused));
        Assert.Same(turn, turns.Last);
    }

    [Fact]
    public async Task A_sem_that_never_idles_fails_the_write_as_engine_busy_before_anything_is_touched()
    {
        var (board, turns, recorded) = Connect();
        board.SemIgnoresIdle = true;
        var written = false;

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => turns.TakeAsync("conv3x3_int8", _ =>
        {
            written = true;
            return Task.FromResult(Done);
        }, CancellationToken.None));

        Assert.Equal(PortFailure.ConfigurationEngineBusy, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains("did not report idle within 100 ms", e.Message);
        Assert.Contains("last state Observation", e.Message);
        Assert.False(written);
        Assert.Equal((0, false), (board.Devcfg.PcapSelections, board.Devcfg.PcapSelected));
        Assert.Equal(SemState.Observation, board.Sem.State);
        var turn = Assert.Single(recorded);
        Assert.Equal((SemTurnOutcome.SemNotIdle, false), (turn.Outcome, turn.Resumed));
        Assert.Equal((0L, 1L), (turns.Taken, turns.Refused));
    }

    [Fact]
    public async Task A_uart_that_goes_silent_fails_the_write_with_the_reason_and_the_next_turn_works_once_it_speaks()
    {
        var (board, turns, _) = Connect();
        board.SemSilent = true;

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => turns.TakeAsync("conv3x3_int8", _ => Task.FromResult(Done), CancellationToken.None));
        Assert.Equal(PortFailure.ConfigurationEngineBusy, e.Failure);
        Assert.Contains("did not report idle", e.Message);
        Assert.Equal(0, board.Devcfg.PcapSelections);

        board.SemSilent = false;
        await turns.TakeAsync("conv3x3_int8", _ => Task.FromResult(Done), CancellationToken.None);
        Assert.Equal((1, 0), (board.Devcfg.PcapSelections, board.Devcfg.Collisions));
        Assert.Equal(SemLinkStatus.Responding, turns.Sem.Status);
    }

    [Fact]
    public async Task A_missing_line_refuses_the_turn_and_says_the_line_is_missing()
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));
        var turns = new SemTurns(SemController.Missing("serial /dev/ttyPS1 at 9600 baud", "the device does not exist", PynqZ2.Device), DevcfgControl.Open(board, PynqZ2.DevcfgAddress), Quick);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => turns.TakeAsync("conv3x3_int8", _ => Task.FromResult(Done), CancellationToken.None));

        Assert.Equal(PortFailure.ConfigurationEngineBusy, e.Failure);
        Assert.Contains("the device does not exist", e.Message);
        Assert.Contains("is missing", e.Message);
    }

    [Fact]
    public async Task A_controller_idle_after_an_uncorrectable_upset_is_left_idle_for_whoever_waits_for_the_reload()
    {
        var (board, turns, recorded) = Connect();
        board.Strike(Conv, correctable: false);
        Assert.Equal(SemState.Idle, board.Sem.State);

        await turns.TakeAsync("conv3x3_int8", _ => Task.FromResult(Done), CancellationToken.None);

        Assert.Equal(SemState.Idle, board.Sem.State);
        var turn = Assert.Single(recorded);
        Assert.Equal((SemState.Idle, false, SemTurnOutcome.Written), (turn.SemBefore, turn.Resumed, turn.Outcome));
        Assert.Equal(0, board.Devcfg.Collisions);
    }

    [Fact]
    public async Task A_failed_write_still_gives_the_icap_back_and_resumes_observation()
    {
        var (board, turns, recorded) = Connect();

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => turns.TakeAsync("conv3x3_int8",
            _ => throw new ConfigurationPortException(PortFailure.WriteFailed, true, "DMA error"), CancellationToken.None));

        Assert.Equal(PortFailure.WriteFailed, e.Failure);
        Assert.False(board.Devcfg.PcapSelected);
        Assert.Equal(SemState.Observation, board.Sem.State);
        Assert.Equal((SemTurnOutcome.WriteFailed, "DMA error", true), (recorded[0].Outcome, recorded[0].Reason, recorded[0].Resumed));
    }

    [Fact]
    public async Task The_turn_port_writes_a_partial_through_the_simulated_port_inside_a_turn()
    {
        var (board, turns, recorded) = Connect();
        var port = new SemTurnPort(board.Port, turns);
        var module = new ConfigurationImage("conv3x3_int8", BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, "conv3x3_int8")));

        await port.WriteAsync(module, null, CancellationToken.None);

        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
        Assert.Equal(board.Port.Name, port.Name);
        Assert.Equal(SemTurnOutcome.Written, Assert.Single(recorded).Outcome);
        Assert.Equal((1, 1, 0), (board.Devcfg.PcapSelections, board.Devcfg.IcapSelections, board.Devcfg.Collisions));
    }

    [Fact]
    public async Task A_write_cancelled_while_sem_is_being_idled_is_a_timeout_with_the_region_untouched_and_sem_resumed()
    {
        var (board, turns, recorded) = Connect();
        board.SemIgnoresIdle = true;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        var slow = new SemTurns(turns.Sem, turns.Devcfg, new SemTurnOptions(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20)));

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => slow.TakeAsync("conv3x3_int8", _ => Task.FromResult(Done), cancel.Token));

        Assert.Equal((PortFailure.Timeout, false), (e.Failure, e.RegionStateUnknown));
        Assert.Equal((0, SemState.Observation), (board.Devcfg.PcapSelections, board.Sem.State));
        Assert.Equal((0L, 1L, SemTurnOutcome.SemNotIdle), (slow.Taken, slow.Refused, slow.Last!.Outcome));
        Assert.Empty(recorded);
    }
}
