using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Whether a bitstream may be written to a partition of a board. The Zynq kernel driver does not
/// validate partials, so this is the only thing between a wrong file and a broken static design.
/// It judges what the configuration engine would do (<see cref="Bitstream"/> is the interpreter's
/// output), in this order: every IDCODE write names the board's device; there are CRC checks, all
/// match, and every frame-data word is covered by one that follows it; it is a partial that keeps
/// to the partial allow-list (<see cref="PartialAllowList"/>); the frames it writes are exactly the
/// partition's: none outside it, and all of it, since a partial that covers only part of a Pblock
/// leaves the previous module's logic in the rest; and its CFG_CLB mask burst is the one the board
/// records for the partition.
/// </summary>
/// <param name="Offset">Byte offset in the file of what was refused, when one place is to blame.</param>
public sealed record LoadVerdict(VerdictOutcome Outcome, string Reason, long? Offset = null)
{
    public bool Fits => Outcome == VerdictOutcome.Fits;

    public static LoadVerdict Check(Bitstream bitstream, Board board, Partition partition) =>
        Device(bitstream, board) ?? Integrity(bitstream) ?? Partial(bitstream, board, partition) ?? Frames(bitstream, board, partition) ?? Mask(bitstream, board, partition)
        ?? new(VerdictOutcome.Fits, $"fits partition '{partition.Name}' of board '{board.Name}': {board.FrameCount(partition)} frames, {bitstream.CrcChecks.Count} CRC checks ok, commands and registers within the partial allow-list, the partition's CFG_CLB mask");

    private static LoadVerdict? Device(Bitstream bitstream, Board board)
    {
        var device = board.Device;
        if (bitstream.IdCode is null)
        {
            return new(VerdictOutcome.WrongDevice, "the bitstream writes no IDCODE, so nothing says which device it is for");
        }
        // The engine checks every IDCODE write (FORMAT-NOTES §6), so every one must name the board's part.
        if (bitstream.RegisterWrites.FirstOrDefault(w => w.Register == (int)ConfigRegister.IDCODE && !device.Matches(w.Value)) is { } wrong)
        {
            var named = Devices.DeviceCatalog.ByIdCode(wrong.Value)?.Name ?? "an unknown device";
            return new(VerdictOutcome.WrongDevice, $"the bitstream is for {named} (IDCODE 0x{wrong.Value:X8} at byte offset {wrong.Offset}); board '{board.Name}' has {device.Name} (0x{device.IdCode:X8})", wrong.Offset);
        }
        if (bitstream.Header is { Part.Length: > 0 } header && !device.MatchesPart(header.Part))
        {
            return new(VerdictOutcome.WrongDevice, $"the header names part {header.Part}; board '{board.Name}' has {device.Name}");
        }
        return null;
    }

    private static LoadVerdict? Integrity(Bitstream bitstream)
    {
        if (bitstream.CrcChecks.Count == 0)
        {
            return new(VerdictOutcome.CrcMismatch, "the bitstream carries no CRC check, so its integrity cannot be verified");
        }
        if (bitstream.CrcChecks.FirstOrDefault(c => !c.Matches) is { } bad)
        {
            return new(VerdictOutcome.CrcMismatch, $"CRC mismatch at byte offset {bad.Offset}: the file expects 0x{bad.Expected:X8}, the stream gives 0x{bad.Computed:X8}", bad.Offset);
        }
        if (bitstream.UncheckedFrameData is { } unchecked_)
        {
            return new(VerdictOutcome.CrcMismatch, $"frame data at byte offset {unchecked_} is not covered by any CRC check after it", unchecked_);
        }
        return null;
    }

    private static LoadVerdict? Partial(Bitstream bitstream, Board board, Partition partition)
    {
        var device = board.Device;
        // A file whose header says PARTIAL=TRUE is judged as a partial even if its commands look
        // like a full bitstream's (LFRM), so the allow-list names what is wrong.
        if (bitstream.Kind != BitstreamKind.Partial && bitstream.Header?.SaysPartial != true)
        {
            return new(VerdictOutcome.OutsidePartition, $"this is a full bitstream: it rewrites the whole {device.Name}, not partition '{partition.Name}'");
        }
        if (PartialAllowList.Check(bitstream, device) is { } violation)
        {
            return new(VerdictOutcome.OutsidePartition, violation.ToString(), violation.Offset);
        }
        return null;
    }

    private static LoadVerdict? Mask(Bitstream bitstream, Board board, Partition partition)
    {
        var device = board.Device;
        if (partition.Mask is not { } mask)
        {
            return new(VerdictOutcome.OutsidePartition, $"board '{board.Name}' records no CFG_CLB mask for partition '{partition.Name}', so the mask burst of a partial cannot be checked (docs/bitstreams.md says how to record it)");
        }
        var burst = PartialAllowList.MaskBurst(bitstream)!;
        var expected = mask.Words(device);
        for (var i = 0; i < Math.Max(expected.Length, burst.Words); i++)
        {
            if (i >= expected.Length || i >= burst.Words || bitstream.ReadWord(burst, i) != expected[i])
            {
                var offset = burst.DataOffset + (4L * Math.Min(i, burst.Words - 1));
                var carried = MaskBurst.Of(bitstream, burst, device)?.ToString() ?? $"{burst.Frames} frames of another shape";
                return new(VerdictOutcome.OutsidePartition, $"the CFG_CLB mask burst differs from the one recorded for partition '{partition.Name}' at byte offset {offset}: it carries {carried}; the board records {mask}", offset);
            }
        }
        return null;
    }

    private static LoadVerdict? Frames(Bitstream bitstream, Board board, Partition partition)
    {
        var device = board.Device;
        var footprint = Footprint.Of(bitstream, device);
        if (footprint.UnmappedFrames > 0)
        {
            return new(VerdictOutcome.OutsidePartition, $"{footprint.UnmappedFrames} frames are written at addresses {device.Name} does not have");
        }
        var outside = 0;
        FrameAddress? first = null;
        foreach (var frame in footprint.FrameAddresses)
        {
            if (!partition.Contains(frame))
            {
                outside++;
                first ??= frame;
            }
        }
        if (first is { } f)
        {
            return new(VerdictOutcome.OutsidePartition, $"{outside} frames lie outside partition '{partition.Name}', the first at {f} ({f.Describe()})");
        }
        var expected = board.FrameCount(partition);
        if (footprint.Frames != expected)
        {
            return new(VerdictOutcome.OutsidePartition, $"the bitstream writes {footprint.Frames} of the {expected} frames of partition '{partition.Name}': it was built for a different Pblock");
        }
        return null;
    }
}
