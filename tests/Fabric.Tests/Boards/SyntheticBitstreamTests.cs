using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Tests.Boards;

public class SyntheticBitstreamTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");

    [Theory]
    [InlineData("conv3x3_int8")]
    [InlineData("conv5x5_int32")]
    public void Synthetic_partial_is_well_formed_and_fits_its_partition(string module)
    {
        var bytes = SyntheticBitstream.Partial(PynqZ2, PynqZ2.Partition("conv"), module);
        var bs = BitstreamReader.Read(bytes);

        Assert.Equal(BitstreamKind.Partial, bs.Kind);
        Assert.True(bs.Header!.SaysPartial);
        Assert.True(SyntheticBitstream.IsSynthetic(bs));
        Assert.StartsWith($"dpr_synthetic_{module};", bs.Header.DesignInfo);
        Assert.Equal("7z020clg400", bs.Header.Part);
        Assert.Equal(3, bs.CrcChecks.Count);
        Assert.True(bs.CrcVerified);
        // Same skeleton as every real Vivado partial (FORMAT-NOTES §9).
        Assert.Equal(
            ["RCRC", "WCFG", "SHUTDOWN", "NULL", "WCFG", "WCFG", "GRESTORE", "START", "DESYNC"],
            bs.Commands.Select(ConfigNames.Command));
        Assert.Equal(0x5DA98E32u, bs.CrcChecks[1].Expected);
        Assert.True(LoadVerdict.Check(bs, PynqZ2, PynqZ2.Partition("conv")).Fits);
        // Sized like the paper's partials (~150 KB), and like the real partial for the same Pblock.
        Assert.InRange(bytes.Length, new FileInfo(Fixtures.Real(Fixtures.PrioGpio)).Length - 2000, new FileInfo(Fixtures.Real(Fixtures.PrioGpio)).Length + 2000);
    }

    [Fact]
    public void Synthetic_partial_is_deterministic_and_differs_per_module()
    {
        var conv = PynqZ2.Partition("conv");
        var a = SyntheticBitstream.Partial(PynqZ2, conv, "conv3x3_int8");

        Assert.Equal(a, SyntheticBitstream.Partial(PynqZ2, conv, "conv3x3_int8"));
        Assert.NotEqual(a, SyntheticBitstream.Partial(PynqZ2, conv, "conv3x3_int16"));
    }

    [Fact]
    public void Synthetic_partials_fit_the_real_composable_partitions_too()
    {
        var board = BoardCatalog.Load("pynq-z2-composable");
        foreach (var partition in board.Partitions)
        {
            var bs = BitstreamReader.Read(SyntheticBitstream.Partial(board, partition, "m"));
            Assert.All(board.Partitions, p => Assert.Equal(p == partition, LoadVerdict.Check(bs, board, p).Fits));
        }
    }

    [Fact]
    public void Synthetic_full_bitstream_writes_the_whole_device()
    {
        var bs = BitstreamReader.Read(SyntheticBitstream.Full(PynqZ2, "static"));
        var real = BitstreamReader.Read(Fixtures.Bytes(Fixtures.FullStatic));

        Assert.Equal(BitstreamKind.Full, bs.Kind);
        Assert.True(bs.CrcVerified);
        Assert.Equal(real.Commands, bs.Commands);
        Assert.Equal(real.FdriWrites.Select(w => (w.Far, w.Words)), bs.FdriWrites.Select(w => (w.Far, w.Words)));
        Assert.Equal(real.Payload.Length, bs.Payload.Length);
        Assert.Equal(9996, Footprint.Of(bs, PynqZ2.Device).Frames);
    }

    [Fact]
    public void Real_partial_for_the_same_pblock_fits_the_pynq_z2_conv_partition()
    {
        var verdict = LoadVerdict.Check(BitstreamReader.Read(Fixtures.Bytes(Fixtures.PrioGpio)), PynqZ2, PynqZ2.Partition("conv"));

        Assert.True(verdict.Fits, verdict.Reason);
    }
}
