using System.IO.Ports;

namespace Dpr.Fabric.Sem;

/// <summary>
/// The SEM monitor line through a Linux serial device (<c>/dev/ttyPS1</c> for the PS UART behind EMIO,
/// <c>/dev/ttyUL0</c> for an AXI UART Lite bound to the kernel's uartlite driver), opened with
/// System.IO.Ports at the monitor's settings: 8-N-1, no flow control (PG036 "Monitor Interface").
/// </summary>
public sealed class SerialDeviceLink : ISemLink
{
    private readonly SerialPort _port;

    private SerialDeviceLink(SerialPort port, string name)
    {
        _port = port;
        Name = name;
    }

    public string Name { get; }

    /// <exception cref="SemLinkException">The device does not exist or cannot be opened.</exception>
    public static SerialDeviceLink Open(string device, int baudRate)
    {
        var name = $"serial {device} at {baudRate} baud";
        if (!File.Exists(device))
        {
            throw new SemLinkException(name, "the device does not exist (is the UART enabled in the device tree?)");
        }
        var port = new SerialPort(device, baudRate, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            // A write of a one-letter command at 9600 baud takes about a millisecond; longer means the line is stuck.
            WriteTimeout = 500,
            ReadTimeout = 1,
        };
        try
        {
            port.Open();
            port.DiscardInBuffer();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new SemLinkException(name, e.Message, e);
        }
        return new SerialDeviceLink(port, name);
    }

    public int Read(Span<byte> buffer)
    {
        try
        {
            var available = Math.Min(_port.BytesToRead, buffer.Length);
            return available == 0 ? 0 : _port.BaseStream.Read(buffer[..available]);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            throw new SemLinkException(Name, e.Message, e);
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _port.BaseStream.Write(bytes);
            _port.BaseStream.Flush();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            throw new SemLinkException(Name, e.Message, e);
        }
    }

    public void Dispose() => _port.Dispose();
}
