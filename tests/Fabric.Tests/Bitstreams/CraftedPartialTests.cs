using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using static Dpr.Fabric.Tests.Bitstreams.CraftedPartial;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>
/// Each construct a partial must not carry, made from a real Vivado partial with every CRC
/// recomputed (<see cref="CraftedPartial"/>), is refused with its reason and the byte offset of the
/// word or header to blame: by the interpreter (malformed) where the engine's behaviour is not
/// documented, by the loading verdict otherwise.
/// </summary>
public class CraftedPartialTests
{
    private static readonly Board Composable = BoardCatalog.Load("pynq-z2-composable");
    private const uint StaticFar = 0x00001C00; // CLB_IO_CLK T0 column 56: pr_fork's, not pr_join's
    private const uint Iprog = (uint)ConfigCommand.IPROG;

    private static CraftedPartial Join() => new(Fixtures.JoinSubtract);

    private static LoadVerdict Refused(byte[] bytes, VerdictOutcome outcome, long offset, string says, string partition = "pr_join")
    {
        var verdict = LoadVerdict.Check(BitstreamReader.Read(bytes), Composable, Composable.Partition(partition));
        Assert.True(outcome == verdict.Outcome, verdict.Reason);
        Assert.Equal(offset, verdict.Offset);
        Assert.True(verdict.Reason.Contains(says, StringComparison.Ordinal), verdict.Reason);
        return verdict;
    }

    private static void Malformed(byte[] bytes, long offset, string says)
    {
        var e = Assert.Throws<BitstreamFormatException>(() => BitstreamReader.Read(bytes));
        Assert.Equal(offset, e.Offset);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void Unedited_rebuild_is_the_real_file() => Assert.Equal(Fixtures.Bytes(Fixtures.JoinSubtract), Join().Build());

    // Issue 24: the interpreter sees what the engine does.

    [Fact]
    public void Far_carried_by_a_type2_packet_is_seen_and_refused()
    {
        var p = Join();
        var far = p.Header(ConfigRegister.FAR, 0x00001E00);
        var bytes = p.Replace(far, 2, Type1Write(ConfigRegister.FAR, 0), Type2Write(1), StaticFar).Build();

        var bs = BitstreamReader.Read(bytes);
        Assert.Contains(new FrameAddress(StaticFar), bs.FarWrites);
        Assert.Equal(new FrameAddress(StaticFar), bs.FdriWrites[1].Far);
        Assert.Contains(new FrameAddress(StaticFar), Footprint.Of(bs, Composable.Device).FrameAddresses);
        Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(far + 1), "type 2 write to FAR");
    }

    [Fact]
    public void Multi_frame_write_outside_the_partition_is_seen_and_refused()
    {
        var p = Join();
        var grestore = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE);
        var bytes = p.Insert(grestore, Type1Write(ConfigRegister.FAR, 1), StaticFar, Type1Write(ConfigRegister.MFWR, 1), 0).Build();

        var bs = BitstreamReader.Read(bytes);
        Assert.Equal([new FrameAddress(StaticFar)], bs.MultiFrameWrites.Select(w => w.Far));
        Assert.Contains(new FrameAddress(StaticFar), Footprint.Of(bs, Composable.Device).FrameAddresses);
        Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(grestore + 3), "write to MFWR");
    }

    [Theory]
    [InlineData(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE, Iprog)]
    [InlineData(ConfigRegister.CMD, (uint)ConfigCommand.DESYNC, (uint)ConfigCommand.DESYNC)]
    [InlineData(ConfigRegister.IDCODE, 0x03727093u, 0x03727093u)]
    public void Register_write_carried_by_a_type2_packet_is_seen_and_refused(ConfigRegister register, uint original, uint value)
    {
        var p = Join();
        var at = p.Header(register, original);
        var bytes = p.Replace(at, 2, Type1Write(register, 0), Type2Write(1), value).Build();

        var bs = BitstreamReader.Read(bytes);
        Assert.Contains(bs.RegisterWrites, w => w.Register == (int)register && w.Value == value && w.HeaderType == 2);
        Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(at + 1), $"type 2 write to {register}");
    }

    [Fact]
    public void Nop_between_fdri_and_its_type2_packet_is_malformed()
    {
        var p = Join();
        var burst = p.Burst(1);
        var bytes = p.Insert(burst, Nop).Build();

        Malformed(bytes, p.OffsetOf(burst + 1), "does not follow its type 1 header directly (a NOP header");
    }

    [Theory]
    [InlineData("removed")]
    [InlineData("turned into a FAR write")]
    [InlineData("after an RCRC")]
    public void Frame_data_after_the_last_crc_check_is_refused(string how)
    {
        var p = Join();
        var crc = p.Header(ConfigRegister.CRC, occurrence: 2);
        _ = how switch
        {
            "removed" => p.Replace(crc, 2),
            "turned into a FAR write" => p.Replace(crc, 2, Type1Write(ConfigRegister.FAR, 1), 0x03BE0000),
            _ => p.Insert(crc, Type1Write(ConfigRegister.CMD, 1), (uint)ConfigCommand.RCRC),
        };
        var data = p.Burst(1) + 1;
        p.Words[p.Burst(2) + 1 + 500] ^= 0x10;
        var bytes = p.Build();

        Assert.False(BitstreamReader.Read(bytes).CrcVerified);
        Refused(bytes, VerdictOutcome.CrcMismatch, p.OffsetOf(data), "not covered by any CRC check");
    }

    [Fact]
    public void Second_idcode_naming_another_device_is_refused()
    {
        var p = Join();
        var at = p.Header(ConfigRegister.IDCODE) + 2;
        var bytes = p.Insert(at, Type1Write(ConfigRegister.IDCODE, 1), 0x03722093).Build();

        Refused(bytes, VerdictOutcome.WrongDevice, p.OffsetOf(at + 1), "xc7z010");
    }

    [Fact]
    public void Second_idcode_of_the_same_device_is_refused_by_the_allow_list()
    {
        var p = Join();
        var at = p.Header(ConfigRegister.IDCODE) + 2;
        var bytes = p.Insert(at, Type1Write(ConfigRegister.IDCODE, 1), 0x03727093).Build();

        Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(at + 1), "IDCODE is written once");
    }

    [Fact]
    public void Far_with_reserved_bits_is_malformed()
    {
        var p = Join();
        var far = p.Header(ConfigRegister.FAR, 0x00001E00);
        p.Words[far + 1] |= 0x04000000;

        Malformed(p.Build(), p.OffsetOf(far + 1), "sets reserved bits 31:26");
    }

    [Fact]
    public void Changed_mask_burst_is_refused()
    {
        // Set the mask word in T0 column 60, which pr_join's partials clear (FORMAT-NOTES §9).
        var p = Join();
        var word = p.Burst(0) + 1 + (60 * FdriWrite.FrameWords) + MaskBurst.MaskWordIndex;
        p.Words[word] = 0xE00009BC;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(word), "CFG_CLB mask burst differs from the one recorded for partition 'pr_join'");
    }

    [Fact]
    public void Mask_burst_of_another_partition_is_refused()
    {
        // pr_fork's mask (the fixture's own), moved into a pr_join partial's place: same shape, other columns.
        var fork = new CraftedPartial(Fixtures.ForkDuplicate);
        var forkMask = fork.Words.GetRange(fork.Burst(0) + 1, 228 * FdriWrite.FrameWords);
        var p = Join();
        var at = p.Burst(0) + 1;
        var first = Enumerable.Range(0, forkMask.Count).First(i => forkMask[i] != p.Words[at + i]);
        p.Replace(at, forkMask.Count, [.. forkMask]);

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(at + first), "it carries 0xE00009BC: T0 18-43,50-53,60-73");
    }

    [Fact]
    public void Extra_mask_burst_is_refused()
    {
        var p = Join();
        var mask = p.Words.GetRange(p.Burst(0) - 1, 2 + (228 * FdriWrite.FrameWords));
        var grestore = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE);
        p.Insert(grestore, [Type1Write(ConfigRegister.CMD, 1), (uint)ConfigCommand.WCFG, Type1Write(ConfigRegister.FAR, 1), 0x01000000, .. mask]);

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(grestore + 5), "a second CFG_CLB mask burst");
    }

    [Fact]
    public void Resynchronization_after_desync_with_more_commands_is_seen_and_refused()
    {
        var p = Join();
        var at = p.Words.Count;
        var bytes = p.Insert(at, Sync, Type1Write(ConfigRegister.CMD, 1), Iprog, Type1Write(ConfigRegister.CMD, 1), (uint)ConfigCommand.DESYNC, Nop).Build();

        var bs = BitstreamReader.Read(bytes);
        Assert.Equal(2, bs.Sessions);
        Assert.Contains(Iprog, bs.Commands);
        Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(at + 1), "synchronizes again");
    }

    [Fact]
    public void Other_data_after_desync_is_malformed()
    {
        var p = Join();
        var at = p.Words.Count - 2;
        p.Words[at] = 0x000000BB;

        Malformed(p.Build(), p.OffsetOf(at), "after CMD DESYNC expected NOP words");
    }

    [Fact]
    public void Words_after_desync_in_the_same_packet_are_malformed()
    {
        var p = Join();
        var desync = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.DESYNC);
        var bytes = p.Replace(desync, 2, Type1Write(ConfigRegister.CMD, 2), (uint)ConfigCommand.DESYNC, Iprog).Build();

        Malformed(bytes, p.OffsetOf(desync + 1), "followed by 1 more words in the same packet");
    }

    [Fact]
    public void Burst_without_its_own_far_write_is_malformed()
    {
        // Drop pass 2's FAR: its burst would continue wherever the engine's FAR auto-increment left off.
        var p = Join();
        var far = p.Header(ConfigRegister.FAR, 0x00001E00, occurrence: 1);
        p.Replace(far, 2);
        var burst = p.Burst(2);

        Malformed(p.Build(), p.OffsetOf(burst), "continues an earlier frame write without a new FAR write");
    }

    // Issue 22: a partial may only do what a partial does.

    [Fact]
    public void Iprog_instead_of_grestore_is_refused()
    {
        var p = Join();
        var at = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE) + 1;
        p.Words[at] = Iprog;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(at), "CMD IPROG: a partial may not reboot the device");
    }

    [Theory]
    [InlineData(ConfigRegister.TIMER, "watchdog")]
    [InlineData(ConfigRegister.WBSTAR, "warm-boot")]
    [InlineData(ConfigRegister.COR0, "configuration options")]
    [InlineData(ConfigRegister.COR1, "configuration options")]
    [InlineData(ConfigRegister.CTL1, "control register 1")]
    [InlineData((ConfigRegister)0x13, "a partial writes only CRC, FAR, FDRI, CMD, MASK, CTL0 and IDCODE")]
    public void Register_a_partial_never_writes_is_refused(ConfigRegister register, string says)
    {
        var p = Join();
        var at = p.Header(ConfigRegister.IDCODE) + 2;
        var bytes = p.Insert(at, Type1Write(register, 1), 0).Build();

        var verdict = Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(at + 1), $"write to {ConfigNames.Register((int)register)}: ");
        Assert.Contains(says, verdict.Reason);
    }

    [Theory]
    [InlineData(ConfigCommand.SWITCH, "switch the configuration clock")]
    [InlineData(ConfigCommand.LFRM, "ends a full configuration")]
    [InlineData(ConfigCommand.MFW, "multi-frame write")]
    [InlineData(ConfigCommand.RCFG, "read the configuration back")]
    [InlineData(ConfigCommand.AGHIGH, "GHIGH")]
    [InlineData(ConfigCommand.GCAPTURE, "capture")]
    public void Command_a_partial_never_issues_is_refused(ConfigCommand command, string says)
    {
        var p = Join();
        var at = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.NULL) + 1;
        p.Words[at] = (uint)command;

        var verdict = Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(at), $"CMD {command}: a partial ");
        Assert.Contains(says, verdict.Reason);
    }

    [Fact]
    public void Command_out_of_order_is_refused()
    {
        // START where GRESTORE belongs, before the region is restored.
        var p = Join();
        var at = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE) + 1;
        p.Words[at] = (uint)ConfigCommand.START;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(at), "out of order: once, after GRESTORE");
    }

    [Fact]
    public void Control_bits_a_partial_never_sets_are_refused()
    {
        var p = Join();
        var at = p.Header(ConfigRegister.CTL0, 0x100) + 1;
        p.Words[at] = 0x140;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(at), "CTL0=0x00000140 touches CTL0 bits other than 0x100 and 0x400");
    }

    [Fact]
    public void Third_pass_over_the_region_is_refused()
    {
        var p = Join();
        var wcfg = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.WCFG, occurrence: 2);
        var end = p.Burst(2) + 1 + (145 * FdriWrite.FrameWords);
        var pass = p.Words.GetRange(wcfg, end - wcfg);
        var grestore = p.Header(ConfigRegister.CMD, (uint)ConfigCommand.GRESTORE);
        p.Insert(grestore, [.. pass]);

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(grestore + (p.Burst(3) - grestore)), "3 region bursts");
    }

    [Fact]
    public void Second_pass_at_other_frames_is_refused()
    {
        // Pass 2 in the bottom half: the same columns 60-63 of B0, the static design's.
        var p = Join();
        var far = p.Header(ConfigRegister.FAR, 0x00001E00, occurrence: 1);
        p.Words[far + 1] = 0x00401E00;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(p.Burst(2)), "region burst 2 (0x00401E00, 145 frames) does not repeat burst 1");
    }

    [Fact]
    public void Same_row_twice_in_one_pass_is_refused()
    {
        // pr_0 writes T0 and B0 in each pass; point both B0 bursts at T0.
        var p = new CraftedPartial(Fixtures.Pr0DilateErode);
        var first = p.Header(ConfigRegister.FAR, 0x00400A00);
        var second = p.Header(ConfigRegister.FAR, 0x00400A00, occurrence: 1);
        p.Words[first + 1] = p.Words[second + 1] = 0x00000A00;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(p.Burst(2)), "writes row CLB_IO_CLK T0 again in the same pass", "pr_0");
    }

    [Fact]
    public void Burst_that_is_not_whole_columns_is_refused()
    {
        // Pass 1 starts one frame into the column: the burst no longer covers whole columns.
        var p = Join();
        var far = p.Header(ConfigRegister.FAR, 0x00001E00);
        p.Words[far + 1] = 0x00001E01;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(p.Burst(1)), "does not start at a column");
    }

    [Fact]
    public void Nonzero_flush_frame_is_refused()
    {
        var p = Join();
        var word = p.Burst(1) + 1 + (144 * FdriWrite.FrameWords) + 7;
        p.Words[word] = 1;

        Refused(p.Build(), VerdictOutcome.OutsidePartition, p.OffsetOf(word), "flush frame");
    }

    [Fact]
    public void Read_packet_is_refused()
    {
        var p = Join();
        var at = p.Header(ConfigRegister.IDCODE) + 2;
        var bytes = p.Insert(at, 0x2800E001).Build(); // type 1 read STAT, 1 word

        Refused(bytes, VerdictOutcome.OutsidePartition, p.OffsetOf(at), "read of STAT");
    }

    [Fact]
    public void Partition_without_a_recorded_mask_fits_no_partial()
    {
        var board = BoardCatalog.Parse(new MemoryStream("""
            {"name":"join-only","device":"xc7z020","partitions":[
              {"name":"rp","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":60,"lastColumn":63}]}]}
            """u8.ToArray()));

        var verdict = LoadVerdict.Check(BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract)), board, board.Partition("rp"));

        Assert.Equal(VerdictOutcome.OutsidePartition, verdict.Outcome);
        Assert.Contains("records no CFG_CLB mask for partition 'rp'", verdict.Reason);
    }
}
