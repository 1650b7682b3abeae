using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

public class HwicapTimingTests
{
    [Fact]
    public void A_fifo_full_of_words_costs_a_write_each_four_register_accesses_and_the_drain()
    {
        var timing = new HwicapTiming(FabricClockMHz: 100, WriteFifoDepth: 1024, CyclesPerAccess: 20, AccessesPerBatch: 4);

        // 1024 words x 20 cycles + 4 x 20 cycles + 1024 drain cycles = 21,584 cycles at 10 ns.
        Assert.Equal(TimeSpan.FromTicks(2158), timing.TransferTime(4096));
    }

    [Fact]
    public void A_paper_sized_partial_is_bound_by_the_axi_lite_writes_not_the_icap()
    {
        var timing = new HwicapTiming();

        var partial = timing.TransferTime(151_484);

        // 37,871 words in 37 batches: 757,420 + 2,960 + 37,871 = 798,251 cycles, 7.98 ms; the ICAP alone would take 0.38 ms.
        Assert.Equal(TimeSpan.FromTicks(79_825), partial);
        Assert.InRange(timing.BytesPerSecond, 18.9e6, 19.0e6);
    }
}
