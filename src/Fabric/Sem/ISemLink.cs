namespace Dpr.Fabric.Sem;

/// <summary>
/// The byte line to the SEM controller's monitor interface (PG036 "Monitor Interface": RS-232, 8-N-1,
/// no flow control): a serial device, an AXI UART Lite over <c>/dev/mem</c>, or a simulated UART.
/// Neither call blocks: the controller is polled.
/// </summary>
public interface ISemLink : IDisposable
{
    /// <summary>"serial /dev/ttyPS1", "AXI UART Lite at 0x42C00000": for status and logs.</summary>
    string Name { get; }

    /// <summary>Copies the bytes already received into <paramref name="buffer"/>; 0 when there are none. <see cref="SemLinkException"/> when the line is gone.</summary>
    int Read(Span<byte> buffer);

    /// <summary>Sends <paramref name="bytes"/>; <see cref="SemLinkException"/> when they cannot all be sent (the transmitter stays full, the line is gone).</summary>
    void Write(ReadOnlySpan<byte> bytes);
}
