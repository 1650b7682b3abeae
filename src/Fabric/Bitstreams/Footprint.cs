using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The frames a bitstream writes, as compact ranges, found by walking every FDRI burst through the
/// device's frame map with Vivado's padding rules (FORMAT-NOTES §7): two empty frames end each row a
/// burst crosses, and a burst that ends inside a row ends with one flush frame. Frames written twice
/// (partials write their region in two passes) count once.
/// </summary>
public sealed class Footprint
{
    private readonly HashSet<FrameAddress> _frames;

    private Footprint(HashSet<FrameAddress> frames, IReadOnlyList<FrameRange> ranges, IReadOnlyList<FrameRange> maskRanges, int unmapped)
    {
        _frames = frames;
        Ranges = ranges;
        MaskRanges = maskRanges;
        UnmappedFrames = unmapped;
    }

    /// <summary>Configuration frames (CLB_IO_CLK and BLOCK_RAM) written, pads excluded.</summary>
    public IReadOnlyList<FrameRange> Ranges { get; }

    /// <summary>CFG_CLB frames: the per-column mask every partial writes across the whole device (FORMAT-NOTES §9).</summary>
    public IReadOnlyList<FrameRange> MaskRanges { get; }

    /// <summary>Frames whose address is not in the device's frame map (a burst that runs off the device, a bad FAR).</summary>
    public int UnmappedFrames { get; }

    public int Frames => Ranges.Sum(r => r.Frames);

    /// <summary>Every configuration frame written (not the mask), for containment checks.</summary>
    public IReadOnlyCollection<FrameAddress> FrameAddresses => _frames;

    public static Footprint Of(Bitstream bitstream, Device device)
    {
        var order = new List<(int Row, int Column, int Minor)>();
        var seen = new HashSet<(int, int, int)>();
        var unmapped = 0;
        foreach (var write in bitstream.FdriWrites)
        {
            unmapped += Walk(device, write.Far, write.Frames, frame =>
            {
                if (seen.Add(frame))
                {
                    order.Add(frame);
                }
            });
        }
        order.Sort();
        var ranges = new List<FrameRange>();
        var mask = new List<FrameRange>();
        var frames = new HashSet<FrameAddress>();
        for (var i = 0; i < order.Count;)
        {
            var start = i;
            while (i + 1 < order.Count && IsNext(device, order[i], order[i + 1]))
            {
                i++;
            }
            var first = order[start];
            var last = order[i];
            var row = device.Rows[first.Row];
            var range = new FrameRange(row.Address(first.Column, first.Minor), row.Address(last.Column, last.Minor), i - start + 1);
            if (row.BlockType == BlockType.CFG_CLB)
            {
                mask.Add(range);
            }
            else
            {
                ranges.Add(range);
                for (var j = start; j <= i; j++)
                {
                    frames.Add(row.Address(order[j].Column, order[j].Minor));
                }
            }
            i++;
        }
        return new Footprint(frames, ranges, mask, unmapped);
    }

    /// <summary>Calls <paramref name="data"/> for each data frame of one burst; returns the frames that fell outside the map.</summary>
    private static int Walk(Device device, FrameAddress start, int frames, Action<(int Row, int Column, int Minor)> data)
    {
        var r = IndexOfRow(device, start);
        if (r < 0 || start.Column >= device.Rows[r].ColumnFrames.Count || start.Minor >= device.Rows[r].ColumnFrames[start.Column])
        {
            return frames;
        }
        var (c, m) = (start.Column, start.Minor);
        (int, int, int)? pending = null;
        var lastWasData = false;
        for (var remaining = frames; remaining > 0;)
        {
            var columns = device.Rows[r].ColumnFrames;
            if (c == columns.Count)
            {
                var pads = Math.Min(Device.RowPadFrames, remaining);
                remaining -= pads;
                lastWasData = false;
                if (++r == device.Rows.Count)
                {
                    Flush();
                    return remaining;
                }
                (c, m) = (0, 0);
                continue;
            }
            Flush();
            pending = (r, c, m);
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
            if (pending is { } frame)
            {
                data(frame);
                pending = null;
            }
        }
    }

    private static int IndexOfRow(Device device, FrameAddress far)
    {
        for (var i = 0; i < device.Rows.Count; i++)
        {
            if (device.Rows[i].Contains(far))
            {
                return i;
            }
        }
        return -1;
    }

    private static bool IsNext(Device device, (int Row, int Column, int Minor) a, (int Row, int Column, int Minor) b)
    {
        if (a.Row != b.Row)
        {
            return false;
        }
        var frames = device.Rows[a.Row].ColumnFrames[a.Column];
        return a.Minor + 1 < frames ? b.Column == a.Column && b.Minor == a.Minor + 1 : b.Column == a.Column + 1 && b.Minor == 0;
    }
}
