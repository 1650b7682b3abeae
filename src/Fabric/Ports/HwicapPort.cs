using System.Buffers.Binary;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Ports;

/// <summary>
/// Partials (only: the core is in the static design) through the AXI HWICAP core (PG134) from the processor, over <c>/dev/mem</c> on a board:
/// the configuration stream's words are written to the write FIFO keyhole as long as the vacancy
/// register says there is room, then CR.Write moves them to the ICAP, and the port polls until the
/// core clears CR.Write (the FIFO is empty) before refilling — the loop of the Xilinx driver's
/// <c>XHwIcap_DeviceWrite</c>. The status register is read after every batch: CFGERR_N or IN_ABORT_N
/// low is a failed write, after which the port aborts and resets the core (CR.Abort, CR.Reset) so the
/// next write starts clean. The first batch ends before the first frame word, so a stream the device
/// refuses at its IDCODE fails with the region untouched.
/// </summary>
/// <remarks>
/// The words are the big-endian configuration stream of the <c>.bit</c> (ICAP takes the same word order
/// as SelectMAP with the bit swap done by the core, UG470 "Parallel Bus Bit Order"; the HWICAP driver
/// writes the words of the file as they are). On a Zynq the ICAP only works while the device
/// configuration unit routes configuration to it: devcfg CTRL.PCAP_PR (bit 27, UG585 Appendix B,
/// 0xF8007000) must be 0, and the Linux zynq-fpga driver sets it back to PCAP on each of its loads
/// (docs/boards.md). Writes are serialized, as on every port.
/// </remarks>
public sealed class HwicapPort : IConfigurationPort
{
    /// <summary>Polls of a busy core between sleeps: a 1024-word FIFO drains in about 10 µs at 100 MHz.</summary>
    private const int SpinPolls = 1000;

    private readonly IMemoryWindow _registers;
    private readonly long _base;
    private readonly int _fifoDepth;
    private readonly TimeProvider _time;
    private readonly PortWriterLock _writer = new();
    private readonly Action<string>? _announce;

    public HwicapPort(Board board, IPhysicalMemory memory, TimeProvider? time = null)
        : this(board, memory, time ?? TimeProvider.System, null)
    {
    }

    /// <param name="announce">Simulation only: tells the simulated core which image the next stream is (the device model records frames by module name).</param>
    internal HwicapPort(Board board, IPhysicalMemory memory, TimeProvider time, Action<string>? announce)
    {
        var hwicap = board.Hwicap ?? throw new ConfigurationPortException(PortFailure.Unavailable, false,
            $"board '{board.Name}' has no AXI HWICAP (\"hwicap\" in its profile): the hwicap port needs one in the static design (docs/boards.md)");
        try
        {
            _registers = memory.Map(hwicap.Address, HwicapRegisters.Span);
        }
        catch (MmioException e)
        {
            throw new ConfigurationPortException(PortFailure.Unavailable, false, $"cannot map the AXI HWICAP at 0x{hwicap.Address:X8}: {e.Message}", e);
        }
        _base = (long)(hwicap.Address - _registers.BaseAddress);
        _fifoDepth = hwicap.WriteFifoDepth;
        _time = time;
        _announce = announce;
    }

    public string Name => "hwicap";

    public async Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            throw new ConfigurationPortException(PortFailure.Timeout, false, "the write was cancelled before anything was written", new OperationCanceledException(cancellationToken));
        }
        await _writer.EnterAsync(image.Name, cancellationToken);
        try
        {
            // The processor moves every word: keep it off the caller's thread.
            return await Task.Run(() => Write(image, progress, cancellationToken), CancellationToken.None);
        }
        finally
        {
            _writer.Exit();
        }
    }

    private PortWriteResult Write(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        if (image.Kind != BitstreamKind.Partial)
        {
            // The core is part of the static design: a full image through it would rewrite the logic feeding it.
            throw new ConfigurationPortException(PortFailure.Refused, false,
                $"{image.Name} is a full image: the AXI HWICAP lives in the static design and writes partials only; load full images through PCAP (--port fpga-manager or overlay)");
        }
        var raw = BinConverter.ToRaw(image.Bitstream);
        var words = raw.Length / 4;
        var firstFrameWord = FirstFrameWord(image.Bitstream);
        var started = _time.GetTimestamp();
        _announce?.Invoke(image.Name);

        // A clean core: whatever an earlier process left in the FIFO is not part of this stream.
        Control(HwicapRegisters.ControlFifoClear);
        Control(0);
        var status = Status();
        if ((status & HwicapRegisters.StatusInAbortN) == 0 || (status & HwicapRegisters.StatusConfigErrorN) == 0)
        {
            Recover();
        }

        progress?.Report(new PortProgress(0, raw.Length));
        var sent = 0;
        while (sent < words)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw Abort(PortFailure.Timeout, sent > firstFrameWord, image.Name, sent, words, "the write was cancelled", new OperationCanceledException(cancellationToken));
            }
            // The first batch stops before the first frame word: a refusal there leaves the region as it was.
            var limit = sent < firstFrameWord ? firstFrameWord : words;
            var vacancy = (int)Math.Min(Read(HwicapRegisters.WriteFifoVacancy), (uint)_fifoDepth);
            var batch = Math.Min(vacancy, limit - sent);
            for (var i = 0; i < batch; i++)
            {
                Write(HwicapRegisters.WriteFifo, BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan((sent + i) * 4)));
            }
            sent += batch;
            Control(HwicapRegisters.ControlWrite);
            WaitIdle(image.Name, sent, words, firstFrameWord, cancellationToken);
            status = Status();
            if ((status & HwicapRegisters.StatusConfigErrorN) == 0 || (status & HwicapRegisters.StatusInAbortN) == 0)
            {
                var written = sent > firstFrameWord;
                var what = (status & HwicapRegisters.StatusConfigErrorN) == 0 ? "the device reported a configuration error (CFGERR_N low: IDCODE or CRC)" : "the ICAP aborted (IN_ABORT_N low)";
                var failure = !written ? PortFailure.Refused : sent == words ? PortFailure.CrcError : PortFailure.WriteFailed;
                throw Abort(failure, written, image.Name, sent, words, $"{what}, status 0x{status:X8}", null);
            }
            progress?.Report(new PortProgress((long)sent * 4, raw.Length));
        }
        return new PortWriteResult(_time.GetElapsedTime(started), raw.Length);
    }

    /// <summary>Polls until the core cleared CR.Write: spinning first, then sleeping a millisecond between polls, until cancelled.</summary>
    private void WaitIdle(string image, int sent, int words, int firstFrameWord, CancellationToken cancellationToken)
    {
        for (var polls = 0; (Read(HwicapRegisters.Control) & HwicapRegisters.ControlWrite) != 0; polls++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw Abort(PortFailure.Timeout, sent > firstFrameWord, image, sent, words, "the ICAP did not take the words before the write was cancelled", new OperationCanceledException(cancellationToken));
            }
            if (polls >= SpinPolls)
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Ends a failed write: abort the ICAP transfer, reset the core, and say what became of the region.</summary>
    private ConfigurationPortException Abort(PortFailure failure, bool written, string image, int sent, int words, string what, Exception? inner)
    {
        Recover();
        var region = written ? "frame data had reached the device: the partition must be reloaded" : "no frame data had been sent: the partition is as it was";
        return new ConfigurationPortException(failure, written, $"writing {image} through the AXI HWICAP: {what} after {sent} of {words} words; the core was aborted and reset; {region}", inner);
    }

    private void Recover()
    {
        Control(HwicapRegisters.ControlAbort);
        Control(HwicapRegisters.ControlReset);
        Control(0);
    }

    /// <summary>The index of the first word of frame data (FDRI data or an MFWR write) in the stream; the stream's length if none.</summary>
    internal static int FirstFrameWord(Bitstream bitstream)
    {
        var offsets = bitstream.FdriWrites.Select(f => f.DataOffset).Concat(bitstream.MultiFrameWrites.Select(m => m.Offset)).ToList();
        return offsets.Count == 0 ? bitstream.Payload.Length / 4 : (int)((offsets.Min() - bitstream.PayloadOffset) / 4);
    }

    private uint Status() => Read(HwicapRegisters.Status);

    private void Control(uint value) => Write(HwicapRegisters.Control, value);

    private uint Read(long register) => _registers.Read32(_base + register);

    private void Write(long register, uint value) => _registers.Write32(_base + register, value);
}
