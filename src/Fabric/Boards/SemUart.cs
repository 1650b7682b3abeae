namespace Dpr.Fabric.Boards;

/// <summary>
/// Where the SEM controller's monitor interface reaches Linux: a serial device (<see cref="SerialDevice"/>,
/// e.g. <c>/dev/ttyPS1</c> when the line goes to the PS's UART1 over EMIO, as in
/// <c>hardware/vivado/sem_static.v</c>) or an AXI UART Lite read over <c>/dev/mem</c>
/// (<see cref="UartLiteAddress"/>, PG142). The line is 9600 baud 8-N-1 without flow control (PG036
/// "Monitor Interface"); <see cref="BaudRate"/> is for a shim built with another rate.
/// </summary>
public sealed record SemUart(SemUartKind Kind, string? SerialDevice, ulong? UartLiteAddress, int BaudRate = SemUart.MonitorBaudRate)
{
    /// <summary>PG036 "Monitor Interface": 9600 baud, 8-N-1, no flow control.</summary>
    public const int MonitorBaudRate = 9600;

    public override string ToString() => Kind == SemUartKind.Serial
        ? $"serial {SerialDevice} at {BaudRate} baud"
        : $"AXI UART Lite at 0x{UartLiteAddress:X8}";
}
