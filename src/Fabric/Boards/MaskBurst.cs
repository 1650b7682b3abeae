using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Boards;

/// <summary>
/// The block-type-2 (CFG_CLB) burst every partial of a partition writes before SHUTDOWN (FORMAT-NOTES
/// §9): one frame per CLB_IO_CLK column of each row plus two zero pad frames per row; in each frame
/// only word 50 may be nonzero, and it holds <see cref="Word"/> for the columns listed in
/// <see cref="Rows"/>, 0 for the others. Its meaning is inferred (a per-column mask around
/// reconfiguration), so dpr does not judge it: the board profile records the one the partition's
/// known-good partials carry (they all share it; different partitions differ) and a partial must
/// carry exactly that one.
/// </summary>
public sealed record MaskBurst(uint Word, IReadOnlyList<MaskRow> Rows)
{
    /// <summary>The only word of a mask frame that is ever nonzero (FORMAT-NOTES §9).</summary>
    public const int MaskWordIndex = 50;

    /// <summary>Where the burst starts: column 0 of the first CFG_CLB row.</summary>
    public static FrameAddress Start(Device device) =>
        device.Rows.First(r => r.BlockType == BlockType.CFG_CLB).Address(0, 0);

    /// <summary>The burst's words, pads included, in the order the device's CFG_CLB rows come.</summary>
    public uint[] Words(Device device)
    {
        var rows = device.Rows.Where(r => r.BlockType == BlockType.CFG_CLB).ToList();
        var words = new uint[rows.Sum(r => r.ColumnFrames.Count + Device.RowPadFrames) * FdriWrite.FrameWords];
        var frame = 0;
        foreach (var row in rows)
        {
            var set = Rows.FirstOrDefault(m => m.Bottom == row.Bottom && m.Row == row.Row)?.Columns ?? [];
            foreach (var c in set)
            {
                words[((frame + c) * FdriWrite.FrameWords) + MaskWordIndex] = Word;
            }
            frame += row.ColumnFrames.Count + Device.RowPadFrames;
        }
        return words;
    }

    /// <summary>
    /// Reads the mask a burst carries, if it has this shape (right start and length, nothing but
    /// one word value at word 50 of column frames); null otherwise.
    /// </summary>
    public static MaskBurst? Of(Bitstream bitstream, FdriWrite burst, Device device)
    {
        var rows = device.Rows.Where(r => r.BlockType == BlockType.CFG_CLB).ToList();
        if (burst.Far != Start(device) || burst.Frames != rows.Sum(r => r.ColumnFrames.Count + Device.RowPadFrames))
        {
            return null;
        }
        uint word = 0;
        var result = new List<MaskRow>();
        var frame = 0;
        foreach (var row in rows)
        {
            var columns = new List<int>();
            for (var c = 0; c < row.ColumnFrames.Count + Device.RowPadFrames; c++, frame++)
            {
                for (var i = 0; i < FdriWrite.FrameWords; i++)
                {
                    var w = bitstream.ReadWord(burst, (frame * FdriWrite.FrameWords) + i);
                    if (w == 0)
                    {
                        continue;
                    }
                    if (i != MaskWordIndex || c >= row.ColumnFrames.Count || (word != 0 && w != word))
                    {
                        return null;
                    }
                    word = w;
                    columns.Add(c);
                }
            }
            result.Add(new MaskRow(row.Bottom, row.Row, columns));
        }
        return new MaskBurst(word, result);
    }

    public override string ToString() => $"0x{Word:X8}: {string.Join("; ", Rows)}";
}
