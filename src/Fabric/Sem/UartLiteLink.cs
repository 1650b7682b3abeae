using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Sem;

/// <summary>
/// The SEM monitor line through an AXI UART Lite's registers (PG142 v2.0, "Register Space"): RX FIFO
/// at 0x0 (read pops a byte, bits 7:0), TX FIFO at 0x4 (write pushes one), STAT_REG at 0x8 (bit 0 RX
/// FIFO valid data, bit 1 RX FIFO full, bit 2 TX FIFO empty, bit 3 TX FIFO full, bit 4 interrupt
/// enabled, bit 5 overrun error, bit 6 frame error, bit 7 parity error), CTRL_REG at 0xC (bit 0 reset
/// TX FIFO, bit 1 reset RX FIFO, bit 4 enable interrupt). Both FIFOs are 16 characters deep. No kernel
/// driver is involved: the window is <c>/dev/mem</c> on a board, a <c>SimulatedUartLite</c> in simulation.
/// </summary>
/// <remarks>
/// Polled, interrupts off. At the monitor's 9600 baud a full RX FIFO is 16 × 10 bits ≈ 16.7 ms of
/// line: the reader must poll faster than that or the UART drops bytes (it counts them in the overrun
/// bit, which <see cref="Overruns"/> reports; reading STAT_REG clears the error bits, PG142).
/// </remarks>
public sealed class UartLiteLink : ISemLink
{
    public const long RxFifo = 0x0;
    public const long TxFifo = 0x4;
    public const long StatReg = 0x8;
    public const long CtrlReg = 0xC;

    public const uint RxValid = 1u << 0;
    public const uint RxFull = 1u << 1;
    public const uint TxEmpty = 1u << 2;
    public const uint TxFull = 1u << 3;
    public const uint OverrunError = 1u << 5;
    public const uint FrameError = 1u << 6;
    public const uint ParityError = 1u << 7;

    public const uint ResetTxFifo = 1u << 0;
    public const uint ResetRxFifo = 1u << 1;

    /// <summary>The AXI UART Lite's register window: four 32-bit registers.</summary>
    public const long WindowBytes = 0x10;

    /// <summary>How many STAT_REG reads a write waits for room in a full TX FIFO before it gives up (16 characters leave it in ~17 ms at 9600 baud).</summary>
    private const int TxFullPolls = 10_000;

    private readonly IMemoryWindow _registers;
    private readonly long _offset;

    /// <param name="registers">A window that holds the UART's registers at <paramref name="address"/>.</param>
    public UartLiteLink(IMemoryWindow registers, ulong address)
    {
        _registers = registers;
        _offset = (long)(address - registers.BaseAddress);
        Name = $"AXI UART Lite at 0x{address:X8}";
        // Start clean: whatever the FIFOs held before dpr opened the line is stale, and interrupts stay off.
        _registers.Write32(_offset + CtrlReg, ResetTxFifo | ResetRxFifo);
    }

    public string Name { get; }

    /// <summary>How many times the UART reported a lost character (overrun) or a bad one (frame, parity).</summary>
    public long Overruns { get; private set; }

    public long LineErrors { get; private set; }

    public static UartLiteLink Open(IPhysicalMemory memory, ulong address)
    {
        try
        {
            return new UartLiteLink(memory.Map(address, WindowBytes), address);
        }
        catch (MmioException e)
        {
            throw new SemLinkException($"AXI UART Lite at 0x{address:X8}", e.Message, e);
        }
    }

    public int Read(Span<byte> buffer)
    {
        var count = 0;
        while (count < buffer.Length)
        {
            var status = Status();
            if ((status & RxValid) == 0)
            {
                break;
            }
            buffer[count++] = (byte)(Access(() => _registers.Read32(_offset + RxFifo)) & 0xFF);
        }
        return count;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            var polls = 0;
            while ((Status() & TxFull) != 0)
            {
                if (++polls >= TxFullPolls)
                {
                    throw new SemLinkException(Name, $"the TX FIFO stayed full for {TxFullPolls} status reads: nothing is taking characters off the line");
                }
                Thread.SpinWait(64);
            }
            var value = (uint)b;
            Access(() => { _registers.Write32(_offset + TxFifo, value); return 0u; });
        }
    }

    public void Dispose()
    {
        // The window belongs to the physical memory that mapped it.
    }

    private uint Status()
    {
        var status = Access(() => _registers.Read32(_offset + StatReg));
        if ((status & OverrunError) != 0)
        {
            Overruns++;
        }
        if ((status & (FrameError | ParityError)) != 0)
        {
            LineErrors++;
        }
        return status;
    }

    private uint Access(Func<uint> access)
    {
        try
        {
            return access();
        }
        catch (MmioException e)
        {
            throw new SemLinkException(Name, e.Message, e);
        }
    }
}
