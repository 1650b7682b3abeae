using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// What a 7-series partial may do, as an allow-list over the engine's writes (FORMAT-NOTES §9, the
/// skeleton shared by all 13 Vivado partials examined; register and command numbers from UG470 via
/// prjxray, §4–§5). In stream order:
/// <code>
/// RCRC; IDCODE; WCFG; FAR=CFG_CLB; FDRI (the mask burst); SHUTDOWN; NULL; MASK/CTL0 (bits 0x100, 0x400);
/// per segment, twice: WCFG; FAR=segment start; FDRI (whole columns of one row + 1 zero flush frame);
/// GRESTORE; MASK/CTL0; START; FAR (parking); DESYNC; then only NOPs
/// </code>
/// CRC checks and NOPs may come anywhere. Everything else — another register, another command,
/// a command out of that order, a type 2 packet for anything but FDRI, a read, a second sync
/// session, bursts that do not form two identical passes over distinct rows — is refused with the
/// byte offset. The mask burst's content is checked against the board (it is per partition).
/// </summary>
public static class PartialAllowList
{
    /// <summary>CTL0 bits a partial sets, through MASK: 0x100 and 0x400 (FORMAT-NOTES §9).</summary>
    public const uint ControlBits = 0x500;

    private enum Phase
    {
        Start,
        Reset,
        Identified,
        Masked,
        ShutDown,
        Restored,
        Started,
        Desynced,
    }

    /// <summary>Registers a partial never writes, with why that matters.</summary>
    private static readonly Dictionary<int, string> RefusedRegisters = new()
    {
        [(int)ConfigRegister.COR0] = "a partial may not change the configuration options (startup sequence, clocks)",
        [(int)ConfigRegister.COR1] = "a partial may not change the configuration options",
        [(int)ConfigRegister.TIMER] = "a partial may not arm the configuration watchdog timer",
        [(int)ConfigRegister.WBSTAR] = "a partial may not set the warm-boot start address (where IPROG reboots from)",
        [(int)ConfigRegister.MFWR] = "a partial may not copy frames with multi-frame writes; Vivado partials write every frame through FDRI",
        [(int)ConfigRegister.CBC] = "a partial may not load an encryption CBC value",
        [(int)ConfigRegister.CTL1] = "a partial may not write control register 1",
        [(int)ConfigRegister.AXSS] = "a partial may not write USR_ACCESS",
    };

    /// <summary>Commands a partial never issues, with why that matters (UG470 CMD codes, FORMAT-NOTES §5).</summary>
    private static readonly Dictionary<uint, string> RefusedCommands = new()
    {
        [(uint)ConfigCommand.IPROG] = "a partial may not reboot the device",
        [(uint)ConfigCommand.SWITCH] = "a partial may not switch the configuration clock",
        [(uint)ConfigCommand.LFRM] = "a partial never issues last frame, which ends a full configuration",
        [(uint)ConfigCommand.MFW] = "a partial may not start a multi-frame write",
        [(uint)ConfigCommand.RCFG] = "a partial may not read the configuration back",
        [(uint)ConfigCommand.RCAP] = "a partial may not reset the capture signal",
        [(uint)ConfigCommand.GCAPTURE] = "a partial may not capture the device's registers",
        [(uint)ConfigCommand.AGHIGH] = "a partial may not assert GHIGH across the device",
        [(uint)ConfigCommand.LTIMER] = "a partial may not reload the watchdog timer",
        [(uint)ConfigCommand.CRCC] = "a partial may not recompute the readback CRC",
        [(uint)ConfigCommand.BSPI_READ] = "a partial may not read the configuration flash",
        [(uint)ConfigCommand.FALL_EDGE] = "a partial may not change the configuration clock edge",
    };

    /// <summary>The first thing <paramref name="bitstream"/> does that a partial may not; null when it keeps to the list.</summary>
    public static PartialViolation? Check(Bitstream bitstream, Device device) => new Walk(bitstream, device).Run();

    /// <summary>The CFG_CLB mask burst of a partial that keeps to the list: its first frame burst.</summary>
    public static FdriWrite? MaskBurst(Bitstream bitstream) =>
        bitstream.FdriWrites.FirstOrDefault() is { Far.BlockType: BlockType.CFG_CLB } mask ? mask : null;

    private sealed class Walk(Bitstream bitstream, Device device)
    {
        private readonly List<FdriWrite> _regionBursts = [];
        private Phase _phase = Phase.Start;
        private uint? _lastCommand;
        private bool _wcfgSinceBurst;

        public PartialViolation? Run()
        {
            foreach (var packet in bitstream.Packets)
            {
                var problem = packet switch
                {
                    _ when _phase == Phase.Desynced => new PartialViolation(packet.Offset, "after CMD DESYNC a partial writes nothing; this stream synchronizes again and goes on"),
                    { Opcode: PacketOpcode.Nop } => null,
                    { Opcode: PacketOpcode.Read } => new PartialViolation(packet.Offset, $"read of {packet.RegisterName}: a partial reads nothing back"),
                    { HeaderType: 2, Register: not (int)ConfigRegister.FDRI } => new PartialViolation(packet.Offset, $"type 2 write to {packet.RegisterName}: a partial carries only frame data in type 2 packets (FORMAT-NOTES §3)"),
                    { Register: (int)ConfigRegister.FDRI, HeaderType: 1, WordCount: > 0 } => new PartialViolation(packet.Offset, "frame data in a type 1 packet: a partial writes frames with a type 1 FDRI header of no words and a type 2 packet (FORMAT-NOTES §3)"),
                    { Register: (int)ConfigRegister.FDRI, WordCount: 0 } => null,
                    { Register: (int)ConfigRegister.FDRI } => Burst(bitstream.FdriWrites.First(w => w.HeaderOffset == packet.Offset)),
                    _ => Writes(packet),
                };
                if (problem is not null)
                {
                    return problem;
                }
            }
            return _phase != Phase.Desynced
                ? new PartialViolation(bitstream.File.Length, "the stream ends without the DESYNC that ends a partial")
                : Passes();
        }

        private PartialViolation? Writes(ConfigPacket packet)
        {
            for (var i = 0; i < packet.Values.Count; i++)
            {
                if (Write(packet.Offset + 4 + (4L * i), packet.Register, packet.Values[i]) is { } problem)
                {
                    return problem;
                }
            }
            return null;
        }

        private PartialViolation? Write(long offset, int register, uint value)
        {
            var name = ConfigNames.Register(register);
            switch ((ConfigRegister)register)
            {
                case ConfigRegister.CRC:
                    return _phase == Phase.Start ? Unreset(offset) : null;
                case ConfigRegister.CMD:
                    return Command(offset, value);
                case ConfigRegister.IDCODE:
                    return _phase == Phase.Start ? Unreset(offset) : Advance(offset, Phase.Reset, Phase.Identified, "IDCODE is written once, right after RCRC");
                case ConfigRegister.FAR:
                    return _phase is Phase.Identified or Phase.ShutDown or Phase.Started
                        ? null
                        : new PartialViolation(offset, $"FAR write {new FrameAddress(value)} where a partial writes none (only before its bursts and after START)");
                case ConfigRegister.MASK or ConfigRegister.CTL0:
                    if (_phase is not (Phase.ShutDown or Phase.Restored))
                    {
                        return new PartialViolation(offset, $"{name} write where a partial writes none (only between SHUTDOWN and START)");
                    }
                    return (value & ~ControlBits) == 0
                        ? null
                        : new PartialViolation(offset, $"{name}=0x{value:X8} touches CTL0 bits other than 0x100 and 0x400, the only ones a partial sets (FORMAT-NOTES §9)");
                default:
                    return new PartialViolation(offset, RefusedRegisters.TryGetValue(register, out var why)
                        ? $"write to {name}: {why}"
                        : $"write to {name}: a partial writes only CRC, FAR, FDRI, CMD, MASK, CTL0 and IDCODE (FORMAT-NOTES §9)");
            }
        }

        private PartialViolation? Command(long offset, uint value)
        {
            var name = ConfigNames.Command(value);
            if (RefusedCommands.TryGetValue(value, out var why))
            {
                return new PartialViolation(offset, $"CMD {name}: {why}");
            }
            var previous = _lastCommand;
            _lastCommand = value;
            _wcfgSinceBurst |= value == (uint)ConfigCommand.WCFG;
            return (ConfigCommand)value switch
            {
                ConfigCommand.NULL => null,
                ConfigCommand.RCRC => _phase is Phase.Start or Phase.Reset ? Advance(offset, _phase, Phase.Reset, "") : Order(offset, name, "only at its start"),
                _ when _phase == Phase.Start => Unreset(offset),
                ConfigCommand.WCFG => _phase is Phase.Identified or Phase.ShutDown ? null : Order(offset, name, "before each frame burst"),
                ConfigCommand.SHUTDOWN => Advance(offset, Phase.Masked, Phase.ShutDown, "once, after the mask burst"),
                ConfigCommand.GRESTORE => _regionBursts.Count > 0 ? Advance(offset, Phase.ShutDown, Phase.Restored, "once, after the region's frames") : Order(offset, name, "once, after the region's frames"),
                ConfigCommand.START => Advance(offset, Phase.Restored, Phase.Started, "once, after GRESTORE"),
                ConfigCommand.DESYNC => Advance(offset, Phase.Started, Phase.Desynced, "once, after START"),
                _ => new PartialViolation(offset, $"CMD {name}: not a command a partial issues (FORMAT-NOTES §9); previous command {(previous is { } p ? ConfigNames.Command(p) : "none")}"),
            };
        }

        private PartialViolation? Advance(long offset, Phase from, Phase to, string rule)
        {
            if (_phase != from)
            {
                return new PartialViolation(offset, $"out of order: {rule} (FORMAT-NOTES §9)");
            }
            _phase = to;
            return null;
        }

        /// <summary>Every Vivado partial starts with RCRC (§9); without it the first check depends on the CRC at sync, which the sources leave open (§8, §12).</summary>
        private static PartialViolation Unreset(long offset) =>
            new(offset, "a partial starts with CMD RCRC: without it its first CRC check depends on the CRC value at sync, which is not documented");

        private static PartialViolation Order(long offset, string name, string rule) =>
            new(offset, $"CMD {name} out of order: a partial issues it {rule} (FORMAT-NOTES §9)");

        private PartialViolation? Burst(FdriWrite burst)
        {
            // Vivado issues WCFG before every burst (§9); what the engine does with the previous
            // burst's flush frame when a burst follows without one is not documented.
            if (_lastCommand != (uint)ConfigCommand.WCFG || !_wcfgSinceBurst)
            {
                return new PartialViolation(burst.HeaderOffset, $"frame burst at {burst.Far} without its own CMD WCFG right before it");
            }
            _wcfgSinceBurst = false;
            if (_phase == Phase.Identified)
            {
                _phase = Phase.Masked;
                return burst.Far.BlockType == BlockType.CFG_CLB
                    ? null
                    : new PartialViolation(burst.HeaderOffset, $"the first frame burst of a partial is the CFG_CLB mask; this one starts at {burst.Far} ({burst.Far.Describe()})");
            }
            if (burst.Far.BlockType == BlockType.CFG_CLB)
            {
                return new PartialViolation(burst.HeaderOffset, $"a second CFG_CLB mask burst at {burst.Far}: a partial writes the mask once, before SHUTDOWN");
            }
            if (_phase != Phase.ShutDown)
            {
                return new PartialViolation(burst.HeaderOffset, $"frame burst at {burst.Far} outside the places a partial writes frames (the mask before SHUTDOWN, the region between SHUTDOWN and GRESTORE)");
            }
            _regionBursts.Add(burst);
            return Shape(burst);
        }

        /// <summary>A region burst covers whole columns of one row and ends with one all-zero flush frame (FORMAT-NOTES §7).</summary>
        private PartialViolation? Shape(FdriWrite burst)
        {
            var far = burst.Far;
            var row = device.Rows.FirstOrDefault(r => r.Contains(far) && r.BlockType != BlockType.CFG_CLB);
            if (row is null || far.Minor != 0 || far.Column >= row.ColumnFrames.Count)
            {
                return new PartialViolation(burst.HeaderOffset, $"region burst at {far} ({far.Describe()}) does not start at a column of {device.Name}");
            }
            var frames = 0;
            var column = far.Column;
            while (frames < burst.Frames - 1 && column < row.ColumnFrames.Count)
            {
                frames += row.ColumnFrames[column++];
            }
            if (frames != burst.Frames - 1)
            {
                return new PartialViolation(burst.HeaderOffset, $"region burst at {far} writes {burst.Frames} frames: not whole columns of {row} plus one flush frame");
            }
            var flush = (burst.Frames - 1) * FdriWrite.FrameWords;
            for (var i = 0; i < FdriWrite.FrameWords; i++)
            {
                if (bitstream.ReadWord(burst, flush + i) != 0)
                {
                    return new PartialViolation(burst.DataOffset + ((flush + i) * 4L), $"the flush frame of the burst at {far} is not all zero: what the engine does with it is not documented");
                }
            }
            return null;
        }

        /// <summary>Vivado writes the region twice, the same bursts in the same order, each once per (block type, half, row) (FORMAT-NOTES §9).</summary>
        private PartialViolation? Passes()
        {
            var n = _regionBursts.Count / 2;
            if (_regionBursts.Count % 2 != 0)
            {
                return new PartialViolation(_regionBursts[^1].HeaderOffset, $"{_regionBursts.Count} region bursts: a partial writes its region in two identical passes");
            }
            for (var i = 0; i < n; i++)
            {
                var (first, second) = (_regionBursts[i], _regionBursts[n + i]);
                if (first.Far != second.Far || first.Words != second.Words)
                {
                    return new PartialViolation(second.HeaderOffset, $"region burst {n + i + 1} ({second.Far}, {second.Frames} frames) does not repeat burst {i + 1} ({first.Far}, {first.Frames} frames): a partial writes its region in two identical passes");
                }
                var earlier = _regionBursts.Take(i).FirstOrDefault(b => b.Far.BlockType == first.Far.BlockType && b.Far.IsBottom == first.Far.IsBottom && b.Far.Row == first.Far.Row);
                if (earlier is not null)
                {
                    return new PartialViolation(first.HeaderOffset, $"region burst at {first.Far} writes row {first.Far.BlockType} {first.Far.RowName} again in the same pass (first at {earlier.Far})");
                }
            }
            return null;
        }
    }
}
