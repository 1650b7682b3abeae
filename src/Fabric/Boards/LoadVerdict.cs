using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Whether a bitstream may be written to a partition of a board. The Zynq kernel driver does not
/// validate partials, so this is the only thing between a wrong file and a broken static design:
/// the device must match (IDCODE, and the header's part when there is one), every CRC must match
/// (and there must be at least one), it must be a partial, and the frames it writes must be exactly
/// the partition's: none outside it, and all of it, since a partial that covers only part of a
/// Pblock leaves the previous module's logic in the rest.
/// </summary>
public sealed record LoadVerdict(VerdictOutcome Outcome, string Reason)
{
    public bool Fits => Outcome == VerdictOutcome.Fits;

    public static LoadVerdict Check(Bitstream bitstream, Board board, Partition partition)
    {
        var device = board.Device;
        if (bitstream.IdCode is not { } idCode)
        {
            return new(VerdictOutcome.WrongDevice, "the bitstream writes no IDCODE, so nothing says which device it is for");
        }
        if (!device.Matches(idCode))
        {
            var named = Devices.DeviceCatalog.ByIdCode(idCode)?.Name ?? "an unknown device";
            return new(VerdictOutcome.WrongDevice, $"the bitstream is for {named} (IDCODE 0x{idCode:X8}); board '{board.Name}' has {device.Name} (0x{device.IdCode:X8})");
        }
        if (bitstream.Header is { Part.Length: > 0 } header && !device.MatchesPart(header.Part))
        {
            return new(VerdictOutcome.WrongDevice, $"the header names part {header.Part}; board '{board.Name}' has {device.Name}");
        }
        if (bitstream.CrcChecks.Count == 0)
        {
            return new(VerdictOutcome.CrcMismatch, "the bitstream carries no CRC check, so its integrity cannot be verified");
        }
        if (bitstream.CrcChecks.FirstOrDefault(c => !c.Matches) is { } bad)
        {
            return new(VerdictOutcome.CrcMismatch, $"CRC mismatch at byte offset {bad.Offset}: the file expects 0x{bad.Expected:X8}, the stream gives 0x{bad.Computed:X8}");
        }
        if (bitstream.Kind != BitstreamKind.Partial)
        {
            return new(VerdictOutcome.OutsidePartition, $"this is a full bitstream: it rewrites the whole {device.Name}, not partition '{partition.Name}'");
        }
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
        return new(VerdictOutcome.Fits, $"fits partition '{partition.Name}' of board '{board.Name}': {footprint.Frames} frames, {bitstream.CrcChecks.Count} CRC checks ok");
    }
}
