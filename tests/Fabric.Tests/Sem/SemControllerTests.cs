using Dpr.Fabric.Boards;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Sem;

/// <summary>The SEM controller read and commanded over the simulated board's AXI UART Lite, as on a board.</summary>
public class SemControllerTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");

    private static (SimulatedBoard Board, SemController Sem, SemClock Clock, List<string> Lines) Connect()
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));
        var clock = new SemClock();
        var sem = new SemController(UartLiteLink.Open(board, SimulatedBoard.DefaultSemUartAddress), PynqZ2.Device, SemControllerOptions.Default, clock);
        var lines = new List<string>();
        sem.Output += lines.AddRange;
        return (board, sem, clock, lines);
    }

    [Fact]
    public void A_status_command_is_answered_with_the_pg036_status_report_and_the_state_is_known()
    {
        var (_, sem, _, lines) = Connect();
        Assert.Equal(SemLinkStatus.Waiting, sem.Status);

        Assert.True(sem.RequestStatus());
        sem.Poll();

        Assert.Equal(["MF", "SN", "SC", "FC", "FS"], lines.Select(l => l[..2]));
        Assert.Equal("SC 02", lines[2]);
        Assert.Equal(SemState.Observation, sem.State);
        Assert.Equal(SemLinkStatus.Responding, sem.Status);
        Assert.Equal("FS 00", sem.Snapshot().LastLine);
    }

    [Fact]
    public void Idle_and_observe_commands_move_the_controller_and_its_reports_say_so()
    {
        var (board, sem, _, lines) = Connect();

        sem.Idle();
        sem.Poll();
        Assert.Equal(SemState.Idle, sem.State);
        Assert.Equal(SemState.Idle, board.Sem.State);

        sem.Observe();
        sem.Poll();
        Assert.Equal(SemState.Observation, sem.State);
        Assert.Equal(["SC 00", "SC 02"], lines);
    }

    [Fact]
    public void A_silent_controller_is_a_status_with_a_reason_not_an_exception()
    {
        var (board, sem, clock, lines) = Connect();
        board.SemSilent = true;

        sem.RequestStatus();
        sem.Poll();
        Assert.Equal(SemLinkStatus.Waiting, sem.Status);
        clock.Advance(SemControllerOptions.Default.ResponseTimeout + TimeSpan.FromMilliseconds(1));
        sem.Poll();

        var status = sem.Snapshot();
        Assert.Equal(SemLinkStatus.Silent, status.Status);
        Assert.Contains("no answer", status.Reason);
        Assert.Null(status.State);
        Assert.Empty(lines);
    }

    [Fact]
    public void A_controller_that_speaks_again_after_silence_is_responding()
    {
        var (board, sem, clock, _) = Connect();
        board.SemSilent = true;
        sem.RequestStatus();
        clock.Advance(TimeSpan.FromSeconds(5));
        sem.Poll();
        Assert.Equal(SemLinkStatus.Silent, sem.Status);

        board.SemSilent = false;
        sem.RequestStatus();
        sem.Poll();

        Assert.Equal(SemLinkStatus.Responding, sem.Status);
        Assert.Null(sem.Snapshot().Reason);
    }

    [Fact]
    public void A_missing_line_is_a_status_and_commands_are_refused_without_throwing()
    {
        var sem = SemController.Missing("serial /dev/ttyPS9 at 9600 baud", "the device does not exist", PynqZ2.Device);

        sem.Poll();

        Assert.False(sem.Idle());
        Assert.Equal(new SemControllerStatus("serial /dev/ttyPS9 at 9600 baud", SemLinkStatus.Missing, null, null, null, "the device does not exist"), sem.Snapshot());
    }

    [Fact]
    public void A_serial_device_that_does_not_exist_fails_to_open_with_its_name()
    {
        var e = Assert.Throws<SemLinkException>(() => SerialDeviceLink.Open("/dev/dpr-no-such-tty", 9600));

        Assert.Equal("serial /dev/dpr-no-such-tty at 9600 baud", e.Link);
    }

    [Fact]
    public void An_upset_report_reaches_the_output_whole_through_the_uart()
    {
        var (board, sem, _, lines) = Connect();

        board.Strike(PynqZ2.Partition("conv"), correctable: true);
        sem.Poll();

        var upset = Assert.Single(SemReportParser.Parse(lines, PynqZ2.Device).OfType<UpsetReport>());
        Assert.Equal(PynqZ2.Partition("conv"), PynqZ2.PartitionOf(upset.Frame!.Value));
        Assert.True(upset.Corrected);
    }
}
