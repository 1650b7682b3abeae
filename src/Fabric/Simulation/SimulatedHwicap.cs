using System.Buffers.Binary;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// The AXI HWICAP core (PG134) at register level, in front of the <see cref="SimulatedDevice"/>: a
/// write FIFO of the profile's depth behind the keyhole (a word written while it is full is lost and
/// counted, as on the core), CR.Write moving the FIFO to the ICAP (up to <see cref="WordsPerPoll"/>
/// words each time a register is read, so the vacancy a driver sees really changes), CR.Abort,
/// CR.Reset and CR.FifoClear, and SR with DONE, EOS, IN_ABORT_N and CFGERR_N. The ICAP side
/// interprets the stream as the configuration logic does: an IDCODE that is not the device's is a
/// configuration error and the rest is ignored; at DESYNC the stream is read by the one packet
/// interpreter and its frames written (garbage when its CRC fails). An abort after frame data
/// arrived leaves the partitions of the frames addressed so far garbage. Faults come from the
/// <see cref="FaultPlan"/>, drawn when a stream starts: Fail is a configuration error at the first
/// word (nothing written), PartialWrite an abort after the first frame data, Corrupt a CRC error at
/// the end, Hang an ICAP that stops taking words (for <see cref="PlannedFault.HangFor"/>, or until aborted).
/// </summary>
public sealed class SimulatedHwicap : SimulatedRegisters
{
    // Type-1 write headers (UG470 table 5-20): 001 01 000000000 RRRRR 00 00000000001 (one word) for FAR, CMD, IDCODE.
    private const uint WriteFar = 0x30002001;
    private const uint WriteCmd = 0x30008001;
    private const uint WriteIdCode = 0x30018001;
    private const uint Noop = 0x20000000;

    private readonly SimulatedDevice _device;
    private readonly FaultPlan _faults;
    private readonly TimeProvider _time;
    private readonly Queue<uint> _fifo = new();
    private readonly List<uint> _stream = [];
    private readonly HashSet<FrameAddress> _addressed = [];
    private bool _writing;
    private bool _aborted;
    private bool _configError;
    private bool _frameData;
    private bool _desynced;
    private PlannedFault? _fault;
    private long? _hangUntil;
    private string? _announced;
    private int _streams;

    /// <param name="realTime">Take the modelled time of a stream (<see cref="HwicapTiming"/> at the board's clock) when it ends, as the processor would spend it feeding the core.</param>
    public SimulatedHwicap(SimulatedDevice device, Hwicap hwicap, FaultPlan? faults = null, TimeProvider? time = null, bool realTime = false)
        : base(hwicap.Address, 0x1000)
    {
        _device = device;
        _faults = faults ?? FaultPlan.None;
        _time = time ?? TimeProvider.System;
        Depth = hwicap.WriteFifoDepth;
        Timing = realTime ? new HwicapTiming(device.Board.FabricClockMHz, hwicap.WriteFifoDepth) : null;
    }

    /// <summary>The model whose time a committed stream takes; null when it only reports.</summary>
    public HwicapTiming? Timing { get; }

    public int Depth { get; }

    /// <summary>How many FIFO words the ICAP takes per register read while writing (the time a poll takes); all by default.</summary>
    public int WordsPerPoll { get; set; } = int.MaxValue;

    /// <summary>Words written to the keyhole while the FIFO was full: lost, as on the core.</summary>
    public int Overflows { get; private set; }

    /// <summary>The most words the FIFO ever held.</summary>
    public int MostQueued { get; private set; }

    /// <summary>Words the ICAP received.</summary>
    public long WordsToIcap { get; private set; }

    /// <summary>Streams that reached DESYNC and were committed to the device.</summary>
    public int Committed { get; private set; }

    /// <summary>Aborts requested through CR.Abort.</summary>
    public int Aborts { get; private set; }

    /// <summary>Simulation only: the name the next stream's frames are recorded under (the port announces the image it writes).</summary>
    internal void Announce(string image)
    {
        lock (_stream)
        {
            _announced = image;
        }
    }

    protected override uint OnRead(long offset, uint stored)
    {
        lock (_stream)
        {
            Drain();
            return offset switch
            {
                HwicapRegisters.Control => _writing ? HwicapRegisters.ControlWrite : 0,
                HwicapRegisters.Status => (_writing ? 0 : HwicapRegisters.StatusDone) | HwicapRegisters.StatusEos
                    | (_aborted ? 0 : HwicapRegisters.StatusInAbortN) | (_configError ? 0 : HwicapRegisters.StatusConfigErrorN),
                HwicapRegisters.WriteFifoVacancy => (uint)(Depth - _fifo.Count),
                _ => stored,
            };
        }
    }

    protected override void OnWrite(long offset, uint value)
    {
        lock (_stream)
        {
            switch (offset)
            {
                case HwicapRegisters.WriteFifo:
                    if (_fifo.Count >= Depth)
                    {
                        Overflows++;
                        return;
                    }
                    _fifo.Enqueue(value);
                    MostQueued = Math.Max(MostQueued, _fifo.Count);
                    return;
                case HwicapRegisters.Control:
                    if ((value & HwicapRegisters.ControlAbort) != 0)
                    {
                        Aborts++;
                        Abandon();
                        _aborted = true;
                    }
                    if ((value & HwicapRegisters.ControlReset) != 0)
                    {
                        Abandon();
                        (_aborted, _configError) = (false, false);
                    }
                    if ((value & HwicapRegisters.ControlFifoClear) != 0)
                    {
                        _fifo.Clear();
                    }
                    if ((value & HwicapRegisters.ControlWrite) != 0 && _fifo.Count > 0)
                    {
                        _writing = true;
                    }
                    return;
                default:
                    Store(offset, value);
                    return;
            }
        }
    }

    /// <summary>The ICAP takes words from the FIFO while CR.Write is set.</summary>
    private void Drain()
    {
        if (!_writing)
        {
            return;
        }
        for (var i = 0; i < WordsPerPoll && !Stalled() && _fifo.TryDequeue(out var word); i++)
        {
            Icap(word);
        }
        _writing = _fifo.Count > 0;
    }

    private bool Stalled() => _hangUntil is { } until && _time.GetTimestamp() < until;

    private void Icap(uint word)
    {
        if (_desynced && word == Noop)
        {
            // The NOOPs that follow a DESYNC belong to the stream that ended, not to the next one.
            WordsToIcap++;
            return;
        }
        if (_stream.Count == 0)
        {
            _desynced = false;
            _fault = _faults.Next(++_streams, _announced ?? "hwicap");
            if (_fault?.Fault == SimulatedFault.Hang)
            {
                _hangUntil = _fault.HangFor is { } hang ? _time.GetTimestamp() + (long)(hang.TotalSeconds * _time.TimestampFrequency) : long.MaxValue;
            }
            if (_fault?.Fault == SimulatedFault.Fail)
            {
                _configError = true;
            }
        }
        if (_configError || _aborted)
        {
            // The configuration logic ignores the stream until it is aborted and reset.
            _stream.Add(word);
            return;
        }
        WordsToIcap++;
        var previous = _stream.Count > 0 ? _stream[^1] : 0;
        _stream.Add(word);
        switch (previous)
        {
            case WriteIdCode when !_device.Board.Device.Matches(word):
                _configError = true;
                return;
            case WriteFar:
                _addressed.Add(new FrameAddress(word));
                break;
            case WriteCmd when word == (uint)ConfigCommand.DESYNC:
                Commit();
                _desynced = true;
                return;
        }
        if (!_frameData && _stream.Count >= 2 && IsFdriHeader(previous))
        {
            _frameData = true;
        }
        if (_frameData && _fault?.Fault == SimulatedFault.PartialWrite && _addressed.Any(f => _device.Board.PartitionOf(f) is not null))
        {
            // The ICAP aborts once a partition's frame data has started: what was addressed is now unknown.
            _aborted = true;
            _configError = true;
            Spoil();
        }
    }

    /// <summary>An FDRI write header, type 1 (with a word count) or the type 2 that follows an empty type-1 FDRI.</summary>
    private static bool IsFdriHeader(uint header) =>
        (header & 0xFFFFF800) == 0x30004000 && (header & 0x7FF) != 0 || (header >> 29) == 2 && (header & 0x18000000) == 0x10000000;

    private void Commit()
    {
        var name = _announced ?? "hwicap";
        var bytes = new byte[_stream.Count * 4];
        for (var i = 0; i < _stream.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), _stream[i]);
        }
        Committed++;
        try
        {
            var bs = BitstreamReader.Read(bytes);
            var image = new ConfigurationImage(name, bs);
            var frames = _device.FramesWrittenBy(bs);
            if (_fault?.Fault == SimulatedFault.Corrupt || !bs.CrcVerified)
            {
                _device.Write(image, frames, garbage: true);
                _configError = true;
            }
            else
            {
                _device.Write(image, frames, garbage: false);
            }
        }
        catch (BitstreamFormatException)
        {
            _configError = true;
            Spoil();
        }
        if (Timing is { } timing)
        {
            // The port sees the time pass while it polls for the last batch, as on the board.
            Task.Delay(timing.TransferTime(bytes.Length), _time).Wait();
        }
        ResetStream();
    }

    /// <summary>A stream cut off: the partitions of the frames it addressed hold garbage if frame data had started.</summary>
    private void Abandon()
    {
        _fifo.Clear();
        _writing = false;
        if (_frameData)
        {
            Spoil();
        }
        ResetStream();
    }

    private void Spoil()
    {
        var partitions = _addressed.Select(_device.Board.PartitionOf).OfType<Partition>().Distinct();
        _device.WriteGarbage(partitions.SelectMany(_device.Board.FramesOf).ToList());
    }

    private void ResetStream()
    {
        _stream.Clear();
        _addressed.Clear();
        _frameData = false;
        _fault = null;
        _hangUntil = null;
        _desynced = false;
    }
}
