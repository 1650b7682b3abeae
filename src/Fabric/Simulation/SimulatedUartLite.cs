using Dpr.Fabric.Sem;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// An AXI UART Lite at register level (PG142 v2.0, "Register Space"; offsets and bits in
/// <see cref="UartLiteLink"/>): 16-character RX and TX FIFOs behind RX FIFO, TX FIFO, STAT_REG and
/// CTRL_REG. The far end of its line is <see cref="Transmitted"/> (what the UART sends) and
/// <see cref="Deliver"/> (what arrives). Characters on the wire wait in the far end's transmitter
/// until the RX FIFO has room, so none is lost to overrun here: the model has no clock. Reading
/// STAT_REG clears its error bits (PG142).
/// </summary>
public sealed class SimulatedUartLite(ulong baseAddress) : SimulatedRegisters(baseAddress, UartLiteLink.WindowBytes)
{
    /// <summary>PG142: both FIFOs hold 16 characters.</summary>
    public const int FifoDepth = 16;

    private readonly Queue<byte> _rx = new();
    private readonly Queue<byte> _tx = new();
    private readonly Queue<byte> _wire = new();
    private readonly Lock _wireLock = new();
    private uint _errors;

    /// <summary>Bytes the UART put on its TX line, one at a time (the far end's receiver). Called under the UART's lock.</summary>
    public event Action<byte>? Transmitted;

    /// <summary>When true the TX line is stuck: characters stay in the TX FIFO, which fills (a broken line, for tests).</summary>
    public bool TxStalled { get; set; }

    /// <summary>Characters read out of the RX FIFO so far.</summary>
    public long Received { get; private set; }

    /// <summary>The far end sends <paramref name="bytes"/>; they reach the RX FIFO as it makes room.</summary>
    public void Deliver(ReadOnlySpan<byte> bytes)
    {
        lock (_wireLock)
        {
            foreach (var b in bytes)
            {
                _wire.Enqueue(b);
            }
        }
    }

    /// <summary>A line error the next STAT_REG read reports (bit 5 overrun, 6 frame, 7 parity).</summary>
    public void RaiseError(uint bits) => _errors |= bits & (UartLiteLink.OverrunError | UartLiteLink.FrameError | UartLiteLink.ParityError);

    protected override uint OnRead(long offset, uint stored)
    {
        Fill();
        switch (offset)
        {
            case UartLiteLink.RxFifo:
                if (_rx.Count == 0)
                {
                    // PG142: reading an empty RX FIFO returns no valid data (STAT bit 0 says so first).
                    return 0;
                }
                Received++;
                return _rx.Dequeue();
            case UartLiteLink.StatReg:
                var status = (_rx.Count > 0 ? UartLiteLink.RxValid : 0)
                    | (_rx.Count >= FifoDepth ? UartLiteLink.RxFull : 0)
                    | (_tx.Count == 0 ? UartLiteLink.TxEmpty : 0)
                    | (_tx.Count >= FifoDepth ? UartLiteLink.TxFull : 0)
                    | _errors;
                _errors = 0;
                return status;
            default:
                // TX FIFO and CTRL_REG are write-only (PG142): they read as 0.
                return 0;
        }
    }

    protected override void OnWrite(long offset, uint value)
    {
        switch (offset)
        {
            case UartLiteLink.TxFifo:
                if (_tx.Count < FifoDepth)
                {
                    _tx.Enqueue((byte)value);
                }
                Drain();
                break;
            case UartLiteLink.CtrlReg:
                if ((value & UartLiteLink.ResetTxFifo) != 0)
                {
                    _tx.Clear();
                }
                if ((value & UartLiteLink.ResetRxFifo) != 0)
                {
                    _rx.Clear();
                }
                break;
        }
    }

    private void Fill()
    {
        lock (_wireLock)
        {
            while (_rx.Count < FifoDepth && _wire.Count > 0)
            {
                _rx.Enqueue(_wire.Dequeue());
            }
        }
    }

    private void Drain()
    {
        while (!TxStalled && _tx.Count > 0)
        {
            Transmitted?.Invoke(_tx.Dequeue());
        }
    }
}
