using System.Runtime.CompilerServices;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The frames a bitstream writes, as compact ranges, found by walking every frame write the
/// configuration engine performs (<see cref="Bitstream.FdriWrites"/>, <see cref="Bitstream.MultiFrameWrites"/>) through the
/// device's frame map with Vivado's padding rules (FORMAT-NOTES §7): two empty frames end each row a
/// burst crosses, and a burst that ends inside a row ends with one flush frame. Frames written twice
/// (partials write their region in two passes) count once.
/// </summary>
public sealed class Footprint
{
    private Footprint(IReadOnlyList<FrameRange> ranges, IReadOnlyList<FrameRange> maskRanges, IReadOnlyList<FrameAddress> frames, int unmapped)
    {
        Ranges = ranges;
        FrameAddresses = frames;
        MaskRanges = maskRanges;
        UnmappedFrames = unmapped;
    }

    /// <summary>Configuration frames (CLB_IO_CLK and BLOCK_RAM) written, pads excluded, in FAR order.</summary>
    public IReadOnlyList<FrameRange> Ranges { get; }

    /// <summary>CFG_CLB frames: the per-column mask every partial writes across the whole device (FORMAT-NOTES §9).</summary>
    public IReadOnlyList<FrameRange> MaskRanges { get; }

    /// <summary>Frames whose address is not in the device's frame map (a burst that runs off the device, a bad FAR).</summary>
    public int UnmappedFrames { get; }

    public int Frames => FrameAddresses.Count;

    /// <summary>Every configuration frame written (not the mask), in FAR order.</summary>
    public IReadOnlyList<FrameAddress> FrameAddresses { get; }

    public static Footprint Of(Bitstream bitstream, Device device)
    {
        var layout = Layouts.GetValue(device, d => new Layout(d));
        var rows = device.Rows;
        // One flag per frame of the device, indexed row by row, column by column, minor by minor,
        // and the span of flags each row has set, so only the written part of a row is scanned.
        var written = new bool[layout.RowStart[^1]];
        var low = Enumerable.Repeat(int.MaxValue, rows.Count).ToArray();
        var high = new int[rows.Count];
        var unmapped = 0;
        foreach (var write in bitstream.FdriWrites)
        {
            unmapped += Walk(layout, write.Far, write.Frames, written, low, high);
        }
        foreach (var write in bitstream.MultiFrameWrites)
        {
            unmapped += Mark(layout, write.Far, written, low, high) ? 0 : 1;
        }

        var ranges = new List<FrameRange>();
        var mask = new List<FrameRange>();
        var addresses = new List<FrameAddress>();
        for (var r = 0; r < rows.Count; r++)
        {
            if (low[r] > high[r])
            {
                continue;
            }
            var row = rows[r];
            var columns = layout.Columns[r];
            var c = Array.BinarySearch(layout.ColumnStart[r], low[r] - layout.RowStart[r]);
            c = c >= 0 ? c : ~c - 1;
            var m = low[r] - layout.RowStart[r] - layout.ColumnStart[r][c];
            (int Column, int Minor, int Frames)? open = null;
            var last = (Column: 0, Minor: 0);
            for (var index = low[r]; index <= high[r]; index++)
            {
                if (written[index])
                {
                    if (row.BlockType != BlockType.CFG_CLB)
                    {
                        addresses.Add(row.Address(c, m));
                    }
                    open = open is { } o ? o with { Frames = o.Frames + 1 } : (c, m, 1);
                    last = (c, m);
                }
                else if (open is { } o)
                {
                    Close(row, o, last);
                    open = null;
                }
                if (++m == columns[c])
                {
                    (c, m) = (c + 1, 0);
                }
            }
            if (open is { } end)
            {
                Close(row, end, last);
            }
        }
        return new Footprint(ranges, mask, addresses, unmapped);

        void Close(ConfigurationRow row, (int Column, int Minor, int Frames) first, (int Column, int Minor) last) =>
            (row.BlockType == BlockType.CFG_CLB ? mask : ranges).Add(
                new FrameRange(row.Address(first.Column, first.Minor), row.Address(last.Column, last.Minor), first.Frames));
    }

    /// <summary>Marks one frame (an MFWR write); false when the address is not in the map.</summary>
    private static bool Mark(Layout layout, FrameAddress far, bool[] written, int[] low, int[] high)
    {
        var r = 0;
        while (r < layout.Rows.Count && !layout.Rows[r].Contains(far))
        {
            r++;
        }
        if (r == layout.Rows.Count || far.Column >= layout.Columns[r].Length || far.Minor >= layout.Columns[r][far.Column])
        {
            return false;
        }
        var index = layout.RowStart[r] + layout.ColumnStart[r][far.Column] + far.Minor;
        written[index] = true;
        low[r] = Math.Min(low[r], index);
        high[r] = Math.Max(high[r], index);
        return true;
    }

    /// <summary>Marks the data frames of one burst; returns the frames that fell outside the map.</summary>
    private static int Walk(Layout layout, FrameAddress start, int frames, bool[] written, int[] low, int[] high)
    {
        var rows = layout.Rows;
        var r = 0;
        while (r < rows.Count && !rows[r].Contains(start))
        {
            r++;
        }
        if (r == rows.Count || start.Column >= layout.Columns[r].Length || start.Minor >= layout.Columns[r][start.Column])
        {
            return frames;
        }
        var (c, m) = (start.Column, start.Minor);
        var pending = -1;
        var pendingRow = r;
        var lastWasData = false;
        for (var remaining = frames; remaining > 0;)
        {
            var columns = layout.Columns[r];
            if (c == columns.Length)
            {
                remaining -= Math.Min(Device.RowPadFrames, remaining);
                lastWasData = false;
                if (++r == rows.Count)
                {
                    Flush();
                    return remaining;
                }
                (c, m) = (0, 0);
                continue;
            }
            Flush();
            pending = layout.RowStart[r] + layout.ColumnStart[r][c] + m;
            pendingRow = r;
            lastWasData = true;
            remaining--;
            if (++m == columns[c])
            {
                (c, m) = (c + 1, 0);
            }
        }
        // A burst that ends inside a row ends with one flush frame, which is not data.
        if (!lastWasData)
        {
            Flush();
        }
        return 0;

        void Flush()
        {
            if (pending >= 0)
            {
                written[pending] = true;
                low[pendingRow] = Math.Min(low[pendingRow], pending);
                high[pendingRow] = Math.Max(high[pendingRow], pending);
                pending = -1;
            }
        }
    }

    private static readonly ConditionalWeakTable<Device, Layout> Layouts = new();

    /// <summary>Where each row and column of a device starts in the frame index, computed once per device.</summary>
    private sealed class Layout
    {
        public Layout(Device device)
        {
            Rows = device.Rows;
            Columns = Rows.Select(r => r.ColumnFrames.ToArray()).ToArray();
            RowStart = new int[Rows.Count + 1];
            ColumnStart = new int[Rows.Count][];
            for (var r = 0; r < Rows.Count; r++)
            {
                RowStart[r + 1] = RowStart[r] + Columns[r].Sum();
                ColumnStart[r] = new int[Columns[r].Length];
                for (var c = 1; c < Columns[r].Length; c++)
                {
                    ColumnStart[r][c] = ColumnStart[r][c - 1] + Columns[r][c - 1];
                }
            }
        }

        public IReadOnlyList<ConfigurationRow> Rows { get; }

        public int[][] Columns { get; }

        public int[] RowStart { get; }

        public int[][] ColumnStart { get; }
    }
}
