using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Boards;

/// <summary>
/// Structurally real bitstreams for boards whose Vivado output we do not have: the command sequence
/// of a Vivado 2020.2 partial or full bitstream (FORMAT-NOTES §9), IDCODE of the board's device,
/// FAR/FDRI bursts that cover exactly the partition (or the whole device), correct CRCs, and
/// deterministic filler frame data derived from the module name. The header says so:
/// <c>dpr_synthetic_&lt;module&gt;;...;Version=dpr-synthetic</c>. They exercise every path a real
/// partial takes (verdict, conversion, ports, the simulated device) but configure nothing real.
/// </summary>
public static class SyntheticBitstream
{
    public const string Marker = "dpr_synthetic";

    /// <summary>The CFG_CLB mask word every partial writes (FORMAT-NOTES §9: word 50 is 0xE00009BC or 0).</summary>
    private const uint MaskWord = 0xE00009BC;

    private const string Date = "2026/01/01";
    private const string Time = "00:00:00";

    public static bool IsSynthetic(Bitstream bitstream) =>
        bitstream.Header?.DesignInfo.StartsWith(Marker, StringComparison.Ordinal) == true;

    /// <summary>A partial for <paramref name="partition"/> of <paramref name="board"/> carrying <paramref name="module"/>.</summary>
    public static byte[] Partial(Board board, Partition partition, string module)
    {
        var device = board.Device;
        var filler = new Filler(module);
        var w = new BitstreamWriter().Preamble()
            .Nops(1).Command(ConfigCommand.RCRC).Nops(2)
            .Write(ConfigRegister.IDCODE, device.IdCode)
            .Command(ConfigCommand.WCFG).Nops(1)
            .Write(ConfigRegister.FAR, FrameAddress.Create(BlockType.CFG_CLB, false, 0, 0, 0).Value).Nops(1)
            .Frames(MaskFrames(device, partition))
            .Crc().Command(ConfigCommand.SHUTDOWN).Nops(1).Crc().Nops(4).Command(ConfigCommand.NULL)
            .Write(ConfigRegister.MASK, 0x100).Write(ConfigRegister.CTL0, 0x100)
            .Write(ConfigRegister.MASK, 0x400).Write(ConfigRegister.CTL0, 0x400);
        // Vivado writes the region twice with the same FAR and sizes (§9); pass 2 is the final content.
        for (var pass = 1; pass <= 2; pass++)
        {
            foreach (var range in partition.Frames)
            {
                var row = device.Rows.First(r => r.BlockType == range.BlockType && r.Bottom == range.Bottom && r.Row == range.Row);
                var frames = row.ColumnFrames.Skip(range.FirstColumn).Take(range.LastColumn - range.FirstColumn + 1).Sum();
                var data = new uint[(frames + 1) * FdriWrite.FrameWords];
                filler.Fill(data.AsSpan(0, frames * FdriWrite.FrameWords), pass, range);
                w.Command(ConfigCommand.WCFG).Nops(1)
                    .Write(ConfigRegister.FAR, row.Address(range.FirstColumn, 0).Value).Nops(1)
                    .Frames(data);
            }
        }
        w.Command(ConfigCommand.GRESTORE).Nops(1)
            .Write(ConfigRegister.MASK, 0x100).Write(ConfigRegister.CTL0, 0)
            .Command(ConfigCommand.START).Nops(1)
            .Write(ConfigRegister.FAR, 0x03BE0000)
            .Crc().Command(ConfigCommand.DESYNC).Nops(16);
        return w.ToBit($"{Marker}_{module};UserID=0XFFFFFFFF;PARTIAL=TRUE;Version=dpr-synthetic", device.HeaderPart, Date, Time);
    }

    /// <summary>A full bitstream for the board's device: every frame, with row pads, in one burst from FAR 0 (§7, §9).</summary>
    public static byte[] Full(Board board, string design)
    {
        var device = board.Device;
        var rows = device.Rows.Where(r => r.BlockType != BlockType.CFG_CLB).ToList();
        var frames = rows.Sum(r => r.Frames + Device.RowPadFrames);
        var data = new uint[frames * FdriWrite.FrameWords];
        var filler = new Filler(design);
        var at = 0;
        foreach (var row in rows)
        {
            filler.Fill(data.AsSpan(at, row.Frames * FdriWrite.FrameWords), 2, null);
            at += (row.Frames + Device.RowPadFrames) * FdriWrite.FrameWords;
        }
        var w = new BitstreamWriter().Preamble()
            .Nops(1).Write(ConfigRegister.TIMER, 0).Write(ConfigRegister.WBSTAR, 0).Command(ConfigCommand.NULL).Nops(1)
            .Command(ConfigCommand.RCRC).Nops(2)
            .Write((ConfigRegister)0x13, 0).Write(ConfigRegister.COR0, 0x02003FE5).Write(ConfigRegister.COR1, 0)
            .Write(ConfigRegister.IDCODE, device.IdCode).Command(ConfigCommand.SWITCH).Nops(1)
            .Write(ConfigRegister.MASK, 0x401).Write(ConfigRegister.CTL0, 0x501).Write(ConfigRegister.MASK, 0).Write(ConfigRegister.CTL1, 0).Nops(8)
            .Write(ConfigRegister.FAR, 0).Command(ConfigCommand.WCFG).Nops(1)
            .Frames(data)
            .Crc().Nops(2).Command(ConfigCommand.GRESTORE).Nops(1).Command(ConfigCommand.LFRM).Nops(100)
            .Command(ConfigCommand.START).Nops(1).Write(ConfigRegister.FAR, 0x03BE0000)
            .Write(ConfigRegister.MASK, 0x501).Write(ConfigRegister.CTL0, 0x501)
            .Crc().Nops(2).Command(ConfigCommand.DESYNC).Nops(400);
        return w.ToBit($"{Marker}_{design};UserID=0XFFFFFFFF;Version=dpr-synthetic", device.HeaderPart, Date, Time);
    }

    /// <summary>
    /// The partition's recorded CFG_CLB mask burst (FORMAT-NOTES §9); for a partition whose profile
    /// records none, the mask word in every column but the partition's (such a partial is refused
    /// by the verdict until the mask is recorded).
    /// </summary>
    private static uint[] MaskFrames(Device device, Partition partition)
    {
        var mask = partition.Mask ?? new MaskBurst(MaskWord, device.Rows
            .Where(r => r.BlockType == BlockType.CFG_CLB)
            .Select(r => new MaskRow(r.Bottom, r.Row, Enumerable.Range(0, r.ColumnFrames.Count)
                .Where(c => !partition.Contains(FrameAddress.Create(BlockType.CLB_IO_CLK, r.Bottom, r.Row, c, 0))).ToList()))
            .ToList());
        return mask.Words(device);
    }

    /// <summary>Deterministic frame content: SHA-256 in counter mode over the module name, pass and range.</summary>
    private sealed class Filler(string seed)
    {
        public void Fill(Span<uint> words, int pass, ColumnRange? range)
        {
            // BRAM content is the same in both passes of a real partial (§9); logic frames differ.
            var key = $"{seed}|{(range?.BlockType == BlockType.BLOCK_RAM ? 2 : pass)}|{range}";
            Span<byte> block = stackalloc byte[32];
            var counter = 0;
            for (var i = 0; i < words.Length; i += 8)
            {
                SHA256.HashData(Encoding.UTF8.GetBytes($"{key}|{counter++}"), block);
                for (var j = 0; j < 8 && i + j < words.Length; j++)
                {
                    words[i + j] = BinaryPrimitives.ReadUInt32LittleEndian(block[(j * 4)..]);
                }
            }
        }
    }
}
