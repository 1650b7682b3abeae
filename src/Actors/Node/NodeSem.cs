using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Actors.Node;

/// <summary>The SEM controller of a node and the configuration port that takes its turns with it.</summary>
public static class NodeSem
{
    /// <summary>
    /// The SEM controller where the board profile says (on the simulated board always: its AXI UART Lite),
    /// and the turns it takes with the PCAP through DEVCFG. A line that cannot be opened is a controller
    /// with status missing, not a failed start: every swap then fails with that reason.
    /// </summary>
    public static (SemController Sem, SemTurns? Turns) Open(Board board, IPhysicalMemory memory, SimulatedBoard? simulated)
    {
        if (simulated is null && board.Sem is null)
        {
            return (SemController.None(board.Device), null);
        }
        var uart = board.Sem ?? new SemUart(SemUartKind.AxiUartLite, null, SimulatedBoard.DefaultSemUartAddress);
        SemController sem;
        try
        {
            // The simulated UART cannot overrun (its line waits for room), so it is read at the serial device's pace.
            var (link, options) = simulated is not null
                ? ((ISemLink)UartLiteLink.Open(simulated, simulated.SemUart.BaseAddress), SemControllerOptions.Default)
                : uart.Kind == SemUartKind.Serial
                    ? (SerialDeviceLink.Open(uart.SerialDevice!, uart.BaudRate), SemControllerOptions.Default)
                    : (UartLiteLink.Open(memory, uart.UartLiteAddress!.Value), SemControllerOptions.ForUartLite(uart.BaudRate));
            sem = new SemController(link, board.Device, options);
        }
        catch (SemLinkException e)
        {
            sem = SemController.Missing(e.Link, e.Message, board.Device);
        }
        return (sem, new SemTurns(sem, DevcfgControl.Open(memory, board.DevcfgAddress)));
    }

    /// <summary>Every write through the PCAP takes its turn with the SEM controller (docs/sem.md); the port as it is without one.</summary>
    public static IConfigurationPort TakingTurns(IConfigurationPort port, SemTurns? turns) =>
        turns is null ? port : new SemTurnPort(port, turns);
}
