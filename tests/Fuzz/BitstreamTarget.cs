using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Host.Cli;

namespace Dpr.Fuzz;

/// <summary>
/// What <c>dpr inspect</c>, <c>dpr verify</c>, <c>dpr convert</c> and the catalog do with a file:
/// <see cref="BitstreamReader.Read"/>, the inspect report, <see cref="LoadVerdict.Check"/> against every
/// partition of both built-in boards, and the <c>.bin</c>/raw conversions, which must read back.
/// Expected: <see cref="BitstreamFormatException"/> from the reader.
/// </summary>
public sealed class BitstreamTarget : IFuzzTarget
{
    private static readonly Board[] Boards = [BoardCatalog.Load("pynq-z2-composable"), BoardCatalog.Load("pynq-z2")];

    public string Name => "bitstream";

    public string Description => "BitstreamReader.Read, BitstreamReport.Of, LoadVerdict.Check (every partition of both built-in boards), BinConverter";

    public void Run(byte[] input)
    {
        Bitstream bitstream;
        try
        {
            bitstream = BitstreamReader.Read(input);
        }
        catch (BitstreamFormatException)
        {
            return;
        }
        _ = BitstreamReport.Of("fuzz", bitstream);
        foreach (var board in Boards)
        {
            foreach (var partition in board.Partitions)
            {
                _ = LoadVerdict.Check(bitstream, board, partition);
            }
        }
        // A stream dpr read must read again in the form `dpr convert` writes (FORMAT-NOTES §11).
        _ = BitstreamReader.Read(BinConverter.ToBin(bitstream));
        _ = BitstreamReader.Read(BinConverter.ToRaw(bitstream));
    }

    /// <summary>The header magic, the sync and bus-width words, a type-1 write of each register (one word and none), type-2 writes, NOOP, IDCODEs; big- and little-endian.</summary>
    public IEnumerable<byte[]> Dictionary
    {
        get
        {
            yield return [0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0, 0x00, 0x00, 0x01];
            yield return "a"u8.ToArray();
            yield return "e"u8.ToArray();
            var words = new List<uint> { BitstreamReader.SyncWord, 0xFFFFFFFF, 0x000000BB, 0x11220044, 0x20000000, 0x50000000, 0x50000065, 0x5003F6E4, 0x03727093, 0x03722093, 0x0362D093 };
            foreach (var register in Enum.GetValues<ConfigRegister>())
            {
                words.Add(0x30000000u | ((uint)register << 13) | 1);
                words.Add(0x30000000u | ((uint)register << 13));
                words.Add(0x28000000u | ((uint)register << 13) | 1);
            }
            foreach (var word in words)
            {
                yield return [(byte)(word >> 24), (byte)(word >> 16), (byte)(word >> 8), (byte)word];
                yield return [(byte)word, (byte)(word >> 8), (byte)(word >> 16), (byte)(word >> 24)];
            }
        }
    }

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        // Two real partials whole (afl-fuzz takes inputs up to 1 MB; large inputs slow every execution):
        // one for another design, one that fits pr_join of pynq-z2-composable, so the verdict is reached
        // to its end; and the first in the little-endian PYNQ .bin form.
        var gpio = File.ReadAllBytes(fixtures.Real("pr_0_gpio.bit"));
        yield return new Seed("pr_0_gpio.bit", gpio);
        yield return new Seed("pr_0_gpio.bin", BinConverter.ToBin(BitstreamReader.Read(gpio)));
        yield return new Seed("join_absdiff_partial.bit", File.ReadAllBytes(fixtures.Real("cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit")));
        // The head of every full bitstream: its header and the start of its configuration packets.
        foreach (var name in new[] { "cv_dfx_4_pr.bit", "arty-a7_swbut_design.bit", "zybo_swbut_design.bit" })
        {
            var bytes = File.ReadAllBytes(fixtures.Real(name));
            yield return new Seed(name + ".head", bytes[..Math.Min(bytes.Length, 4096)]);
        }
        // A structurally valid partial for the smallest partition of each built-in board (dpr bitstream synth).
        foreach (var board in Boards)
        {
            var partition = board.Partitions.MinBy(board.FrameCount)!;
            yield return new Seed($"synthetic-{board.Name}-{partition.Name}.bit", SyntheticBitstream.Partial(board, partition, "conv3x3_int8"));
        }
    }
}
