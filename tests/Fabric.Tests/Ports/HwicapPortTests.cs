using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>The HWICAP port against the register-level core of the simulated board (PG134's register map).</summary>
public class HwicapPortTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    private readonly FaultPlan _faults = new();

    private SimulatedBoard Board(int fifoDepth = Hwicap.DefaultWriteFifoDepth) =>
        new(PynqZ2 with { Hwicap = PynqZ2.Hwicap! with { WriteFifoDepth = fifoDepth } }, new SimulatedBoardOptions(Faults: _faults, DdrBytes: 1 << 20, KernelThreads: 1));

    private static ConfigurationImage Partial(string module) =>
        new(module, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, module)));

    [Fact]
    public async Task A_partial_goes_word_by_word_through_the_fifo_and_its_frames_are_written()
    {
        var board = Board();
        var image = Partial("conv3x3_int8");

        var result = await board.HwicapPort().WriteAsync(image, null, CancellationToken.None);

        var core = board.Hwicap!;
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
        Assert.Equal(image.Bytes / 4, core.WordsToIcap);
        Assert.Equal(1, core.Committed);
        Assert.Equal(0, core.Overflows);
        Assert.Equal(0, core.Aborts);
        Assert.Equal(1024, core.MostQueued);
        Assert.Equal(image.Bytes, result.Bytes);
        var status = core.Read32(HwicapRegisters.Status);
        Assert.Equal(HwicapRegisters.StatusDone | HwicapRegisters.StatusEos | HwicapRegisters.StatusInAbortN | HwicapRegisters.StatusConfigErrorN, status);
        Assert.Equal(1024u, core.Read32(HwicapRegisters.WriteFifoVacancy));
    }

    [Fact]
    public async Task In_real_time_the_core_takes_the_modelled_time_and_the_port_reports_it()
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(Port: SimulatedPortOptions.Pcap with { RealTime = true }, DdrBytes: 1 << 20, KernelThreads: 1));
        var image = Partial("conv3x3_int8");

        var result = await board.HwicapPort().WriteAsync(image, null, CancellationToken.None);

        var modelled = new HwicapTiming().TransferTime(image.Bytes);
        Assert.Equal(modelled, board.Hwicap!.Timing!.TransferTime(image.Bytes));
        // The port measures the write; the simulated core made it last at least the model's time.
        Assert.True(result.Duration >= modelled, $"reported {result.Duration.TotalMilliseconds} ms, modelled {modelled.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task The_port_never_writes_more_words_than_the_fifo_has_room_for()
    {
        // A 16-word FIFO that the ICAP empties 7 words per register read: the vacancy changes under the port.
        var board = Board(fifoDepth: 16);
        board.Hwicap!.WordsPerPoll = 7;

        await board.HwicapPort().WriteAsync(Partial("conv5x5_int16"), null, CancellationToken.None);

        Assert.Equal(0, board.Hwicap.Overflows);
        Assert.Equal(16, board.Hwicap.MostQueued);
        Assert.Equal("conv5x5_int16", board.Device.ModuleIn(Conv));
    }

    [Fact]
    public async Task An_abort_after_frame_data_fails_typed_leaves_the_partition_known_corrupt_and_the_core_reset()
    {
        var board = Board();
        var port = board.HwicapPort();
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        _faults.OnNextWrite(SimulatedFault.PartialWrite);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(Partial("conv5x5_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.WriteFailed, e.Failure);
        Assert.True(e.RegionStateUnknown);
        Assert.Contains("frame data had reached the device", e.Message);
        Assert.True(board.Device.IsCorrupt(Conv));
        Assert.Null(board.Device.ModuleIn(Conv));
        Assert.Equal(1, board.Hwicap!.Aborts);
        // Aborted and reset: the core is idle and clean, and the next write loads.
        Assert.Equal(HwicapRegisters.StatusInAbortN | HwicapRegisters.StatusConfigErrorN, board.Hwicap.Read32(HwicapRegisters.Status) & (HwicapRegisters.StatusInAbortN | HwicapRegisters.StatusConfigErrorN));
        await port.WriteAsync(Partial("conv5x5_int8"), null, CancellationToken.None);
        Assert.Equal("conv5x5_int8", board.Device.ModuleIn(Conv));
    }

    [Fact]
    public async Task A_configuration_error_before_any_frame_is_a_refusal_with_the_region_untouched()
    {
        var board = Board();
        var port = board.HwicapPort();
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        _faults.OnNextWrite(SimulatedFault.Fail);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(Partial("conv5x5_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.Refused, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains("CFGERR_N low", e.Message);
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
        Assert.False(board.Device.IsCorrupt(Conv));
    }

    [Fact]
    public async Task A_crc_error_at_the_end_of_the_stream_is_reported_as_one()
    {
        var board = Board();
        _faults.OnNextWrite(SimulatedFault.Corrupt);

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => board.HwicapPort().WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None));

        Assert.Equal(PortFailure.CrcError, e.Failure);
        Assert.True(e.RegionStateUnknown);
        Assert.True(board.Device.IsCorrupt(Conv));
    }

    [Fact]
    public async Task A_stalled_icap_is_aborted_when_the_caller_gives_up()
    {
        var board = Board();
        var port = board.HwicapPort();
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        _faults.OnNextWrite(SimulatedFault.Hang);
        var before = board.Hwicap!.WordsToIcap;
        using var giveUp = new CancellationTokenSource();

        var write = port.WriteAsync(Partial("conv5x5_int8"), null, giveUp.Token);
        // The caller gives up once the ICAP has stalled on the stream's first word, not at a wall-clock moment
        // (a timer could fire before a loaded machine starts the write, which is another failure).
        Assert.True(SpinWait.SpinUntil(() => board.Hwicap.WordsToIcap > before, TimeSpan.FromSeconds(30)), "the ICAP took the stream's first word");
        giveUp.Cancel();
        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => write);

        Assert.Equal(PortFailure.Timeout, e.Failure);
        // The stall began in the first batch, which ends before the first frame word.
        Assert.False(e.RegionStateUnknown);
        Assert.Equal(1, board.Hwicap!.Aborts);
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
    }

    [Fact]
    public async Task A_full_image_is_refused_before_a_word_reaches_the_core()
    {
        var board = Board();
        var port = board.HwicapPort();
        await port.WriteAsync(Partial("conv3x3_int8"), null, CancellationToken.None);
        var full = new ConfigurationImage("static", BitstreamReader.Read(SyntheticBitstream.Full(PynqZ2, "static")));
        var words = board.Hwicap!.WordsToIcap;

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => port.WriteAsync(full, null, CancellationToken.None));

        Assert.Equal(PortFailure.Refused, e.Failure);
        Assert.False(e.RegionStateUnknown);
        Assert.Contains("writes partials only", e.Message);
        Assert.Equal(words, board.Hwicap.WordsToIcap);
        Assert.Equal("conv3x3_int8", board.Device.ModuleIn(Conv));
    }

    [Fact]
    public void A_board_without_a_hwicap_cannot_have_the_port()
    {
        var board = new SimulatedBoard(BoardCatalog.Load("pynq-z2-composable"), new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));

        var e = Assert.Throws<ConfigurationPortException>(() => board.HwicapPort());

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.Contains("board 'pynq-z2-composable' has no AXI HWICAP", e.Message);
    }

    [Fact]
    public void The_first_batch_ends_at_the_first_frame_word_of_a_real_partial()
    {
        var bs = BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract));

        var first = HwicapPort.FirstFrameWord(bs);

        Assert.Equal(bs.FdriWrites.Min(f => f.DataOffset), bs.PayloadOffset + (first * 4L));
        Assert.InRange(first, 1, (bs.Payload.Length / 4) - 1);
    }
}
