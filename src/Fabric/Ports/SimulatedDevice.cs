using System.Runtime.CompilerServices;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Ports;

/// <summary>
/// The configuration memory of a simulated device: which image last wrote each frame, and the
/// configuration upsets not yet scrubbed. A full image rewrites every frame (wiping every
/// partition); a partial rewrites the frames the configuration engine would write for it (the one
/// interpreter of the packet stream, <see cref="FramesWrittenBy"/>), wherever they are; an
/// interrupted or corrupted write leaves its frames garbage. Thread-safe: the port writes while the SEM source and tests read.
/// </summary>
public sealed class SimulatedDevice(Board board)
{
    /// <summary>What a frame holds after an interrupted or corrupted write.</summary>
    public const string Garbage = "(garbage)";

    private readonly Dictionary<FrameAddress, string> _frames = [];
    private readonly Dictionary<string, FrameAddress[]> _partitionFrames = [];
    private readonly HashSet<(FrameAddress Frame, int Word, int Bit)> _upsets = [];
    // What ModuleIn last found per partition; cleared by every change to the frames or upsets (a
    // module's registers ask on every access, and a partition has thousands of frames).
    private readonly Dictionary<string, string?> _moduleIn = [];
    private readonly object _lock = new();
    // A bitstream writes the same frames every time: walked once, not at every swap (the walk allocates a flag per frame of the device).
    private readonly ConditionalWeakTable<Bitstream, IReadOnlyList<FrameAddress>> _written = new();
    private readonly ConditionalWeakTable<Bitstream, IReadOnlyList<FrameAddress>>.CreateValueCallback _walk = b => Footprint.Of(b, board.Device).FrameAddresses;

    public Board Board { get; } = board;

    /// <summary>The static design's name after a full load; null before any.</summary>
    public string? StaticDesign { get; private set; }

    /// <summary>
    /// The state of a device configured before the service started: <paramref name="design"/> fully
    /// loaded (every partition empty), as a board comes up with its boot image.
    /// </summary>
    public void StartWith(string design)
    {
        lock (_lock)
        {
            _frames.Clear();
            _upsets.Clear();
            _moduleIn.Clear();
            StaticDesign = design;
        }
    }

    /// <summary>
    /// The module a partition holds: the image that wrote all its frames, if they all agree, carry no
    /// upset and that image was a partial; null when empty (only the static design's default) or unknown.
    /// </summary>
    public string? ModuleIn(Partition partition)
    {
        lock (_lock)
        {
            if (_moduleIn.TryGetValue(partition.Name, out var known))
            {
                return known;
            }
            var owners = FramesOf(partition).Select(f => _frames.GetValueOrDefault(f)).Distinct().ToList();
            var clean = !_upsets.Any(u => partition.Contains(u.Frame));
            return _moduleIn[partition.Name] = owners is [{ } owner] && owner != Garbage && owner != StaticDesign && clean ? owner : null;
        }
    }

    /// <summary>True when the partition holds garbage or an upset: what it computes cannot be trusted.</summary>
    public bool IsCorrupt(Partition partition)
    {
        lock (_lock)
        {
            return FramesOf(partition).Any(f => _frames.GetValueOrDefault(f) == Garbage) || _upsets.Any(u => partition.Contains(u.Frame));
        }
    }

    public IReadOnlyCollection<(FrameAddress Frame, int Word, int Bit)> Upsets
    {
        get
        {
            lock (_lock)
            {
                return _upsets.ToList();
            }
        }
    }

    /// <summary>Flips a configuration bit, as a particle strike would.</summary>
    public void InjectUpset(FrameAddress frame, int word, int bit)
    {
        if (word is < 0 or >= FdriWrite.FrameWords || bit is < 0 or > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(word), $"a frame has words 0..{FdriWrite.FrameWords - 1} of bits 0..31; found word {word} bit {bit}");
        }
        lock (_lock)
        {
            _upsets.Add((frame, word, bit));
            _moduleIn.Clear();
        }
    }

    /// <summary>What a SEM controller does for a correctable upset: repair the bit in place.</summary>
    public void Scrub(FrameAddress frame)
    {
        lock (_lock)
        {
            _upsets.RemoveWhere(u => u.Frame == frame);
            _moduleIn.Clear();
        }
    }

    /// <summary>
    /// The configuration frames <paramref name="bitstream"/> writes on this device: every FDRI and
    /// MFWR frame write of the interpreter's output, walked through the frame map — the same
    /// frames the loading verdict judged.
    /// </summary>
    public IReadOnlyList<FrameAddress> FramesWrittenBy(Bitstream bitstream) => _written.GetValue(bitstream, _walk);

    private FrameAddress[] FramesOf(Partition partition)
    {
        if (!_partitionFrames.TryGetValue(partition.Name, out var frames))
        {
            _partitionFrames[partition.Name] = frames = Board.FramesOf(partition).ToArray();
        }
        return frames;
    }

    /// <summary>Frames an interrupted write left in an unknown state (an aborted ICAP transfer).</summary>
    internal void WriteGarbage(IEnumerable<FrameAddress> frames)
    {
        lock (_lock)
        {
            _moduleIn.Clear();
            foreach (var f in frames)
            {
                _frames[f] = Garbage;
                RemoveUpsets(f);
            }
        }
    }

    /// <summary>A rewritten frame holds no upset; checked first, so a write without upsets allocates nothing per frame.</summary>
    private void RemoveUpsets(FrameAddress frame)
    {
        if (_upsets.Count > 0)
        {
            _upsets.RemoveWhere(u => u.Frame == frame);
        }
    }

    internal void Write(ConfigurationImage image, IEnumerable<FrameAddress> frames, bool garbage)
    {
        lock (_lock)
        {
            _moduleIn.Clear();
            if (image.Kind == BitstreamKind.Full && !garbage)
            {
                _frames.Clear();
                _upsets.Clear();
                StaticDesign = image.Name;
            }
            foreach (var f in frames)
            {
                _frames[f] = garbage ? Garbage : image.Name;
                RemoveUpsets(f);
            }
        }
    }
}
