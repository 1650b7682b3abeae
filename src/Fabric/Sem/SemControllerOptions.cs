namespace Dpr.Fabric.Sem;

/// <param name="PollInterval">How often the line is read. A serial device's kernel buffer holds kilobytes, so <see cref="Default"/> polls at a leisurely 50 ms; an AXI UART Lite read over <c>/dev/mem</c> must be polled faster than its FIFO fills (<see cref="ForUartLite"/>).</param>
/// <param name="ResponseTimeout">How long a command may go unanswered before the controller counts as silent. A status report is five short lines (PG036 "Status Report"), about 30 ms at 9600 baud.</param>
/// <param name="PingInterval">An observing controller says nothing until it finds an upset: a status command this often proves it is there.</param>
public sealed record SemControllerOptions(TimeSpan PollInterval, TimeSpan ResponseTimeout, TimeSpan PingInterval)
{
    public static SemControllerOptions Default { get; } = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));

    /// <summary>
    /// For an AXI UART Lite polled without a driver: its RX FIFO holds 16 characters (PG142) of 10 bits
    /// each on an 8-N-1 line, 16.7 ms at the monitor's 9600 baud (PG036); polled at half that, none is lost.
    /// </summary>
    public static SemControllerOptions ForUartLite(int baudRate) =>
        Default with { PollInterval = TimeSpan.FromSeconds(16 * 10 / 2.0 / baudRate) };
}
