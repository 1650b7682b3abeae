using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Devices;

/// <summary>
/// Linear frame addresses (LFA) as the SEM controller counts them (PG036: "MF ... Maximum Frame
/// (linear count)", error injection by linear frame address): frame 0 is FAR 0, and the count runs
/// through the device's configuration frames in FAR auto-increment order (block type, half, row,
/// column, minor; FORMAT-NOTES §7).
/// </summary>
/// <remarks>
/// Assumed, not verified against a board or the SEM IP: that the count covers the CLB_IO_CLK and
/// BLOCK_RAM frames only (<see cref="Device.ConfigurationFrames"/>, 9996 on the xc7z020) and skips the
/// two pad frames Vivado writes at the end of each row. See docs/sem.md.
/// </remarks>
public static class LinearFrameAddressing
{
    /// <summary>Number of linear frames: the largest LFA is one less.</summary>
    public static int LinearFrameCount(this Device device) => Counted(device).Sum(r => r.Frames);

    public static int ToLinear(this Device device, FrameAddress far)
    {
        var linear = 0;
        foreach (var row in Counted(device))
        {
            if (row.Contains(far))
            {
                if (far.Column >= row.ColumnFrames.Count || far.Minor >= row.ColumnFrames[far.Column])
                {
                    break;
                }
                return linear + row.ColumnFrames.Take(far.Column).Sum() + far.Minor;
            }
            linear += row.Frames;
        }
        throw new ArgumentOutOfRangeException(nameof(far), far,
            $"{far} ({far.Describe()}) is not a configuration frame of {device.Name}, so it has no linear frame address");
    }

    public static FrameAddress FromLinear(this Device device, int linear)
    {
        if (linear >= 0)
        {
            var remaining = linear;
            foreach (var row in Counted(device))
            {
                if (remaining < row.Frames)
                {
                    var column = 0;
                    while (remaining >= row.ColumnFrames[column])
                    {
                        remaining -= row.ColumnFrames[column++];
                    }
                    return row.Address(column, remaining);
                }
                remaining -= row.Frames;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(linear), linear,
            $"{device.Name} has linear frames 0..{device.LinearFrameCount() - 1}, not 0x{linear:X8}");
    }

    private static IEnumerable<ConfigurationRow> Counted(Device device)
    {
        if (!device.HasFrameMap)
        {
            throw new InvalidOperationException($"no frame map is shipped for {device.Name}, so linear frame addresses cannot be converted");
        }
        return device.Rows.Where(r => r.BlockType is BlockType.CLB_IO_CLK or BlockType.BLOCK_RAM);
    }
}
