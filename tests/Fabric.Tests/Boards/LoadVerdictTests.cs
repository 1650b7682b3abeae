using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Tests.Boards;

public class LoadVerdictTests
{
    private static readonly Board Composable = BoardCatalog.Load("pynq-z2-composable");

    public static TheoryData<string, string> OwnPartition => new()
    {
        { Fixtures.Pr0DilateErode, "pr_0" },
        { Fixtures.Pr1CornerHarris, "pr_1" },
        { Fixtures.ForkDuplicate, "pr_fork" },
        { Fixtures.JoinSubtract, "pr_join" },
        { Fixtures.JoinAbsdiff, "pr_join" },
    };

    [Theory]
    [MemberData(nameof(OwnPartition))]
    public void Real_partial_fits_its_own_partition_and_no_other(string file, string own)
    {
        var bs = BitstreamReader.Read(Fixtures.Bytes(file));

        foreach (var partition in Composable.Partitions)
        {
            var verdict = LoadVerdict.Check(bs, Composable, partition);
            var expected = partition.Name == own ? VerdictOutcome.Fits : VerdictOutcome.OutsidePartition;
            Assert.True(expected == verdict.Outcome, $"{file} in {partition.Name}: {verdict.Reason}");
        }
    }

    [Fact]
    public void Partial_of_another_design_fits_no_partition()
    {
        // pr_0_gpio (PRIO) writes B0 columns 26-27: inside pr_0's Pblock, but only part of it.
        var bs = BitstreamReader.Read(Fixtures.Bytes(Fixtures.PrioGpio));

        Assert.All(Composable.Partitions, p => Assert.Equal(VerdictOutcome.OutsidePartition, LoadVerdict.Check(bs, Composable, p).Outcome));
        Assert.Contains("72 of the 1088 frames", LoadVerdict.Check(bs, Composable, Composable.Partition("pr_0")).Reason);
    }

    [Theory]
    [InlineData(Fixtures.Zybo, "xc7z010")]
    [InlineData(Fixtures.Arty, "xc7a35t")]
    public void Wrong_device_is_refused(string file, string named)
    {
        var verdict = LoadVerdict.Check(BitstreamReader.Read(Fixtures.Bytes(file)), Composable, Composable.Partition("pr_0"));

        Assert.Equal(VerdictOutcome.WrongDevice, verdict.Outcome);
        Assert.Contains(named, verdict.Reason);
    }

    [Fact]
    public void Full_bitstream_is_refused_for_a_partition()
    {
        var verdict = LoadVerdict.Check(BitstreamReader.Read(Fixtures.Bytes(Fixtures.FullStatic)), Composable, Composable.Partition("pr_join"));

        Assert.Equal(VerdictOutcome.OutsidePartition, verdict.Outcome);
        Assert.Contains("full bitstream", verdict.Reason);
    }

    [Fact]
    public void Flipped_frame_bit_is_a_crc_mismatch()
    {
        var bytes = (byte[])Fixtures.Bytes(Fixtures.JoinSubtract).Clone();
        var bs = BitstreamReader.Read(bytes);
        bytes[(int)bs.FdriWrites[1].DataOffset + 1000] ^= 0x10;

        var verdict = LoadVerdict.Check(BitstreamReader.Read(bytes), Composable, Composable.Partition("pr_join"));

        Assert.Equal(VerdictOutcome.CrcMismatch, verdict.Outcome);
        Assert.Contains($"byte offset {bs.CrcChecks[2].Offset}", verdict.Reason);
    }
}
