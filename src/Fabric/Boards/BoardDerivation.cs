using System.Globalization;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Derives a board profile from real files, as the <c>pynq-z2-composable</c> profile was derived
/// (docs/boards.md): the device from the static design's full bitstream; one partition per distinct
/// footprint of the partials (partials with the same frames are modules of the same partition), its
/// frames the whole columns they write and its CFG_CLB mask the one they carry. With the static
/// design's .hwh and each partial's own .hwh, the partition is named after the static design's
/// instance the partial's system belongs to (<c>composable_pr_0_dilate_erode</c> → <c>/composable/pr_0</c>
/// → <c>pr_0</c>), its module window is that instance's register ranges, and the fabric clock is the PS's
/// FCLK0. What no file says (decouplers, DMA, the memory for buffers, the RAM) is listed as not derived.
/// </summary>
public static class BoardDerivation
{
    /// <exception cref="BoardDerivationException">A file is not what a profile can be derived from; the message names it and why.</exception>
    /// <exception cref="BitstreamFormatException">A file is not a bitstream.</exception>
    public static DerivedBoard Derive(string name, DerivationSource staticDesign, IReadOnlyList<DerivationSource> partials)
    {
        if (partials.Count == 0)
        {
            throw new BoardDerivationException(staticDesign.Name, VerdictOutcome.OutsidePartition, "at least one partial is needed: partitions are the frames partials write");
        }
        var full = BitstreamReader.Read(staticDesign.Bytes);
        var device = (full.IdCode is { } id ? DeviceCatalog.ByIdCode(id) : null)
            ?? throw new BoardDerivationException(staticDesign.Name, VerdictOutcome.WrongDevice, full.IdCode is { } unknown ? $"IDCODE 0x{unknown:X8} is not a device dpr knows ({string.Join(", ", DeviceCatalog.All.Select(d => d.Name))})" : "the bitstream writes no IDCODE");
        if (!device.HasFrameMap)
        {
            throw new BoardDerivationException(staticDesign.Name, VerdictOutcome.WrongDevice, $"no frame map is shipped for {device.Name}, so its partitions cannot be derived");
        }
        if (full.Kind == BitstreamKind.Partial || full.Header?.SaysPartial == true)
        {
            throw new BoardDerivationException(staticDesign.Name, VerdictOutcome.OutsidePartition, "this is a partial; the first file must be the static design's full bitstream");
        }
        if (!full.CrcVerified)
        {
            throw new BoardDerivationException(staticDesign.Name, VerdictOutcome.CrcMismatch, "its CRC checks do not all match");
        }

        var groups = new List<(List<ColumnRange> Frames, MaskBurst Mask, List<DerivationSource> Partials, HashSet<FrameAddress> Addresses)>();
        foreach (var partial in partials)
        {
            var (frames, mask, addresses) = Read(partial, full, device);
            var same = groups.FindIndex(g => g.Addresses.SetEquals(addresses));
            if (same >= 0)
            {
                if (!SameMask(groups[same].Mask, mask))
                {
                    throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, $"it writes the frames of {groups[same].Partials[0].Name} but carries another CFG_CLB mask ({mask}, not {groups[same].Mask}): they are not partials of one static design");
                }
                groups[same].Partials.Add(partial);
                continue;
            }
            if (groups.FirstOrDefault(g => g.Addresses.Overlaps(addresses)) is { Partials: { } others })
            {
                throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, $"its frames overlap those of {others[0].Name} without being the same: partitions of one design do not overlap");
            }
            groups.Add((frames, mask, [partial], addresses));
        }

        var notDerived = new List<string>();
        var clock = 100.0;
        if (staticDesign.Hwh?.Instances.FirstOrDefault(i => i.ModType == "processing_system7")?.Parameters.GetValueOrDefault("PCW_FPGA0_PERIPHERAL_FREQMHZ") is { } mhz
            && double.TryParse(mhz, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
        {
            clock = parsed;
        }
        else
        {
            notDerived.Add("fabricClockMHz (100 assumed: no processing_system7 FCLK0 in a static .hwh)");
        }
        var partitions = new List<Partition>();
        for (var i = 0; i < groups.Count; i++)
        {
            var group = groups[i];
            var instance = Instance(staticDesign.Hwh, group.Partials);
            var partitionName = instance is null ? $"pr_{i}" : instance.FullName.Split('/', StringSplitOptions.RemoveEmptyEntries)[^1];
            if (partitions.Any(p => p.Name == partitionName))
            {
                partitionName = $"{partitionName}_{i}";
            }
            var (address, span) = instance is null ? (0UL, 0U) : Window(staticDesign.Hwh!, instance);
            if (instance is null || span == 0)
            {
                notDerived.Add($"partitions[{i}].moduleAddress, moduleSpan (no instance of the static .hwh owns {group.Partials[0].Name}'s system; name '{partitionName}' given by order)");
            }
            notDerived.Add($"partitions[{i}].decoupler (which register bit isolates '{partitionName}' is wiring no file records)");
            partitions.Add(new Partition(partitionName, group.Frames, ModuleAddress: address, ModuleSpan: span, Mask: group.Mask));
        }
        notDerived.Add("memory (the DDR range for module buffers; the fpga-manager port needs it), ram, partitions[].dmaAddress, partitions[].hosts (absent: any module)");

        var sources = string.Join(", ", groups.SelectMany(g => g.Partials).Select(p => p.Name));
        var description = $"Derived by dpr boards derive from {staticDesign.Name} and {sources}: partition frames and CFG_CLB masks are the partials' footprints"
            + (staticDesign.Hwh is null ? "." : $"; names, module windows and the fabric clock from the static .hwh ({staticDesign.Hwh.Name}).");
        var board = new Board(name, description, device, partitions, staticDesign.Name, PortKind.Pcap, clock);
        var json = BoardProfileWriter.ToJson(board);
        // What is written is what BoardCatalog accepts: the profile goes through the same validation as any.
        using var check = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var validated = BoardCatalog.Parse(check);
        return new DerivedBoard(validated, json, [.. groups.Select(g => (IReadOnlyList<string>)[.. g.Partials.Select(p => p.Name)])], notDerived);
    }

    /// <summary>The partial's frames as whole columns, its CFG_CLB mask, after the checks a loadable partial passes.</summary>
    private static (List<ColumnRange> Frames, MaskBurst Mask, HashSet<FrameAddress> Addresses) Read(DerivationSource partial, Bitstream full, Device device)
    {
        var bitstream = BitstreamReader.Read(partial.Bytes);
        if (bitstream.RegisterWrites.FirstOrDefault(w => w.Register == (int)ConfigRegister.IDCODE && !device.Matches(w.Value)) is { } wrong)
        {
            var named = DeviceCatalog.ByIdCode(wrong.Value)?.Name ?? "an unknown device";
            throw new BoardDerivationException(partial.Name, VerdictOutcome.WrongDevice, $"it is for {named} (IDCODE 0x{wrong.Value:X8} at byte offset {wrong.Offset}); the static design is for {device.Name}");
        }
        if (bitstream.IdCode is null)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.WrongDevice, "it writes no IDCODE, so nothing says which device it is for");
        }
        if (bitstream.Kind != BitstreamKind.Partial && bitstream.Header?.SaysPartial != true)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, $"this is a full bitstream: it rewrites the whole {device.Name}, it is not a partial");
        }
        if (!bitstream.CrcVerified)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.CrcMismatch, "its CRC checks are missing or do not all match");
        }
        if (PartialAllowList.Check(bitstream, device) is { } violation)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, violation.ToString());
        }
        // Vivado writes the top design's name into every bitstream of a design (header field a).
        if (bitstream.Header?.Design is { Length: > 0 } design && full.Header?.Design is { Length: > 0 } staticName && design != staticName)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, $"it was built for design '{design}', the static design is '{staticName}': its partitions are not this design's");
        }
        var footprint = Footprint.Of(bitstream, device);
        if (footprint.UnmappedFrames > 0)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, $"{footprint.UnmappedFrames} frames are written at addresses {device.Name} does not have");
        }
        var mask = PartialAllowList.MaskBurst(bitstream) is { } burst ? MaskBurst.Of(bitstream, burst, device) : null;
        if (mask is null)
        {
            throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, "it carries no CFG_CLB mask burst of the shape Vivado's partials have (FORMAT-NOTES §9)");
        }
        var frames = new List<ColumnRange>();
        foreach (var row in footprint.FrameAddresses.GroupBy(f => (f.BlockType, f.IsBottom, f.Row)))
        {
            var map = device.Rows.First(r => r.BlockType == row.Key.BlockType && r.Bottom == row.Key.IsBottom && r.Row == row.Key.Row);
            var columns = row.GroupBy(f => f.Column).OrderBy(c => c.Key).ToList();
            // A Pblock owns whole columns: a partial that writes part of one is not a partition's.
            if (columns.FirstOrDefault(c => c.Select(f => f.Minor).Distinct().Count() != map.ColumnFrames[c.Key]) is { } part)
            {
                throw new BoardDerivationException(partial.Name, VerdictOutcome.OutsidePartition, $"it writes {part.Select(f => f.Minor).Distinct().Count()} of the {map.ColumnFrames[part.Key]} frames of column {part.Key} of {map}: a partition owns whole columns");
            }
            for (var i = 0; i < columns.Count;)
            {
                var j = i;
                while (j + 1 < columns.Count && columns[j + 1].Key == columns[j].Key + 1)
                {
                    j++;
                }
                frames.Add(new ColumnRange(row.Key.BlockType, row.Key.IsBottom, row.Key.Row, columns[i].Key, columns[j].Key));
                i = j + 1;
            }
        }
        return (frames, mask, [.. footprint.FrameAddresses]);
    }

    private static bool SameMask(MaskBurst a, MaskBurst b) =>
        a.Word == b.Word && a.Rows.Count == b.Rows.Count
        && a.Rows.Zip(b.Rows).All(r => r.First.Bottom == r.Second.Bottom && r.First.Row == r.Second.Row && r.First.Columns.SequenceEqual(r.Second.Columns));

    /// <summary>
    /// The static design's instance the partials' systems belong to: the one with register ranges whose
    /// instance name begins the partials' system name ("composable_pr_join" for "composable_pr_join_absdiff"), the longest such.
    /// </summary>
    private static IpInstance? Instance(HardwareHandoff? hwh, IReadOnlyList<DerivationSource> partials)
    {
        if (hwh is null)
        {
            return null;
        }
        var systems = partials.Select(p => p.Hwh?.Name).OfType<string>().Where(n => n.Length > 0).ToList();
        if (systems.Count == 0)
        {
            return null;
        }
        return hwh.Instances
            .Where(i => i.Instance.Length > 0 && hwh.AddressRanges.Any(r => r.Instance == i.Instance && r.MemoryType == "REGISTER"))
            .Where(i => systems.All(s => s == i.Instance || s.StartsWith(i.Instance + "_", StringComparison.Ordinal)))
            .OrderByDescending(i => i.Instance.Length)
            .FirstOrDefault();
    }

    /// <summary>The instance's register ranges as one window: from the lowest base, the next power of two that holds them all.</summary>
    private static (ulong Address, uint Span) Window(HardwareHandoff hwh, IpInstance instance)
    {
        var ranges = hwh.AddressRanges.Where(r => r.Instance == instance.Instance && r.MemoryType == "REGISTER").ToList();
        var low = ranges.Min(r => r.Base);
        var size = ranges.Max(r => r.High) - low + 1;
        var span = 1UL;
        while (span < size)
        {
            span <<= 1;
        }
        return span > uint.MaxValue ? (low, 0U) : (low, (uint)span);
    }
}
