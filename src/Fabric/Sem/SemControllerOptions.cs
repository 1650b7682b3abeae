namespace Dpr.Fabric.Sem;

/// <param name="PollInterval">How often the line is read. An AXI UART Lite's 16-character RX FIFO fills in about 16.7 ms at 9600 baud (PG142, PG036), so polling must be faster.</param>
/// <param name="ResponseTimeout">How long a command may go unanswered before the controller counts as silent. A status report is five short lines (PG036 "Status Report"), about 30 ms at 9600 baud.</param>
/// <param name="PingInterval">An observing controller says nothing until it finds an upset: a status command this often proves it is there.</param>
public sealed record SemControllerOptions(TimeSpan PollInterval, TimeSpan ResponseTimeout, TimeSpan PingInterval)
{
    public static SemControllerOptions Default { get; } = new(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
}
