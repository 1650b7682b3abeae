using System.Text;
using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;

namespace Dpr.Fabric.Tests.Boards;

public class BoardCatalogTests
{
    [Fact]
    public void Composable_partitions_are_the_footprints_of_the_real_partials()
    {
        // How the built-in board was derived (docs/boards.md): each partition is exactly the frames
        // its default module's partial writes.
        var board = BoardCatalog.Load("pynq-z2-composable");
        var sources = new Dictionary<string, string>
        {
            ["pr_0"] = Fixtures.Pr0DilateErode,
            ["pr_1"] = Fixtures.Pr1CornerHarris,
            ["pr_fork"] = Fixtures.ForkDuplicate,
            ["pr_join"] = Fixtures.JoinSubtract,
        };

        Assert.Equal(sources.Keys.Order(), board.Partitions.Select(p => p.Name).Order());
        foreach (var partition in board.Partitions)
        {
            var written = Footprint.Of(BitstreamReader.Read(Fixtures.Bytes(sources[partition.Name])), board.Device).FrameAddresses;
            var owned = board.Device.Rows
                .SelectMany(r => Enumerable.Range(0, r.ColumnFrames.Count).SelectMany(c => Enumerable.Range(0, r.ColumnFrames[c]).Select(m => r.Address(c, m))))
                .Where(partition.Contains)
                .ToHashSet();
            Assert.True(owned.SetEquals(written), partition.Name);
        }
    }

    [Fact]
    public void Recorded_cfg_clb_masks_are_the_ones_the_real_partials_carry()
    {
        // Derived from known-good partials (FORMAT-NOTES §9): the partials of one partition share
        // their mask burst, different partitions differ, and the profile records exactly that one.
        var composable = BoardCatalog.Load("pynq-z2-composable");
        var pynq = BoardCatalog.Load("pynq-z2");
        var sources = new (Board Board, string Partition, string File)[]
        {
            (composable, "pr_0", Fixtures.Pr0DilateErode),
            (composable, "pr_1", Fixtures.Pr1CornerHarris),
            (composable, "pr_fork", Fixtures.ForkDuplicate),
            (composable, "pr_join", Fixtures.JoinSubtract),
            (composable, "pr_join", Fixtures.JoinAbsdiff),
            (pynq, "conv", Fixtures.PrioGpio),
        };

        foreach (var (board, partition, file) in sources)
        {
            var bs = BitstreamReader.Read(Fixtures.Bytes(file));
            var carried = MaskBurst.Of(bs, PartialAllowList.MaskBurst(bs)!, board.Device);
            Assert.Equal(board.Partition(partition).Mask!.ToString(), carried?.ToString());
            Assert.Equal(board.Partition(partition).Mask!.Words(board.Device), Enumerable.Range(0, bs.FdriWrites[0].Words).Select(i => bs.ReadWord(bs.FdriWrites[0], i)));
        }
        Assert.Equal(4, composable.Partitions.Select(p => p.Mask!.ToString()).Distinct().Count());
    }

    [Theory]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}],"cfgClbMask":{"word":"0xE00009BC","rows":[{"half":"top","row":0,"columns":"5-80"}]}}]}""", "partitions[0].cfgClbMask.rows[0].columns")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}],"cfgClbMask":{"word":"0xE00009BC","rows":[{"half":"top","row":1,"columns":"5"}]}}]}""", "partitions[0].cfgClbMask.rows[0].row")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}],"cfgClbMask":{"word":"E00009BC","rows":[]}}]}""", "partitions[0].cfgClbMask.word")]
    [InlineData("""{"device":"xc7z020","partitions":[]}""", "name")]
    [InlineData("""{"name":"b","device":"xc9","partitions":[]}""", "device")]
    [InlineData("""{"name":"b","device":"xc7a50t","partitions":[]}""", "device")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[]}""", "partitions")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"DSP","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "partitions[0].frames[0].blockType")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"left","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "partitions[0].frames[0].half")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":1,"firstColumn":0,"lastColumn":1}]}]}""", "partitions[0].frames[0].row")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":5,"lastColumn":74}]}]}""", "partitions[0].frames[0].lastColumn")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}]},{"name":"q","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":3,"lastColumn":4}]}]}""", "partitions[1].frames")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}]},{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":5,"lastColumn":6}]}]}""", "partitions[1].name")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p"}]}""", "partitions[0].frames")]
    [InlineData("""{"name":"b","device":"xc7z020","hwicap":{"writeFifoDepth":1024},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}]}]}""", "hwicap.address")]
    [InlineData("""{"name":"b","device":"xc7z020","hwicap":{"address":"0x40200000","writeFifoDepth":1000},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}]}]}""", "hwicap.writeFifoDepth")]
    [InlineData("""{"name":"b","device":"xc7z020","fpgaRegion":"fpga-full","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}]}]}""", "fpgaRegion")]
    [InlineData("""{"name":"b","device":"xc7z020","partitions":[{"name":"p","fpgaRegion":"/fpga-full/","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":3}]}]}""", "partitions[0].fpgaRegion")]
    [InlineData("""{"name": 3}""", "$.name")]
    [InlineData("""{"name":"b","device":"xc7z020","sem":{},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "sem")]
    [InlineData("""{"name":"b","device":"xc7z020","sem":{"serial":"/dev/ttyPS1","uartLite":"0x42C00000"},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "sem")]
    [InlineData("""{"name":"b","device":"xc7z020","sem":{"serial":"ttyPS1"},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "sem.serial")]
    [InlineData("""{"name":"b","device":"xc7z020","sem":{"uartLite":"42C00000"},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "sem.uartLite")]
    [InlineData("""{"name":"b","device":"xc7z020","sem":{"serial":"/dev/ttyPS1","baud":0},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "sem.baud")]
    [InlineData("""{"name":"b","device":"xc7z020","devcfg":"F8007000","partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""", "devcfg")]
    public void Invalid_board_names_the_field(string json, string field)
    {
        var e = Assert.Throws<BoardProfileException>(() => BoardCatalog.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json))));

        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void The_pynq_z2_profile_names_its_hwicap_and_fpga_regions()
    {
        var board = BoardCatalog.Load("pynq-z2");

        Assert.Equal(new Hwicap(0x40200000, 1024), board.Hwicap);
        Assert.Equal("/fpga-full", board.FpgaRegion);
        Assert.Equal("/fpga-full/pr-conv", board.Partition("conv").FpgaRegion);
        Assert.Null(BoardCatalog.Load("pynq-z2-composable").Hwicap);
        var written = BoardCatalog.Parse(new MemoryStream(Encoding.UTF8.GetBytes(BoardProfileWriter.ToJson(board))));
        Assert.Equal((board.Hwicap, board.FpgaRegion, "/fpga-full/pr-conv"), (written.Hwicap, written.FpgaRegion, written.Partition("conv").FpgaRegion));
    }

    [Fact]
    public void Unknown_board_and_partition_are_named()
    {
        Assert.Equal("board", Assert.Throws<BoardProfileException>(() => BoardCatalog.Load("no-such-board")).Field);
        var e = Assert.Throws<BoardProfileException>(() => BoardCatalog.Load("pynq-z2-composable").Partition("pr_9"));
        Assert.Contains("pr_0, pr_1, pr_fork, pr_join", e.Message);
    }

    [Fact]
    public void The_pynq_z2_reads_its_sem_controller_on_ps_uart1_and_switches_the_engine_in_devcfg()
    {
        var board = BoardCatalog.Load("pynq-z2");

        Assert.Equal(new SemUart(SemUartKind.Serial, "/dev/ttyPS1", null, 9600), board.Sem);
        Assert.Equal(0xF8007000ul, board.DevcfgAddress);
    }

    [Fact]
    public void A_board_may_read_sem_through_an_axi_uart_lite_at_its_address()
    {
        const string json = """{"name":"b","device":"xc7z020","devcfg":"0xF8007000","sem":{"uartLite":"0x42C00000","baud":115200},"partitions":[{"name":"p","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":0,"lastColumn":1}]}]}""";

        var board = BoardCatalog.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(new SemUart(SemUartKind.AxiUartLite, null, 0x42C00000, 115200), board.Sem);
        Assert.Null(BoardCatalog.Load("pynq-z2-composable").Sem);
    }
}
