using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Tests.Boards;

public class DecouplerControlTests
{
    [Fact]
    public void Composable_decouplers_share_one_gpio_register_without_disturbing_each_other()
    {
        var board = BoardCatalog.Load("pynq-z2-composable");
        using var gpio = new InMemoryWindow(0x41250000, 0x10000);
        var controls = board.Partitions.ToDictionary(p => p.Name, p => new DecouplerControl(gpio, p.Decoupler!));

        controls["pr_fork"].Decouple();
        controls["pr_0"].Decouple();

        // pipeline_control GPIO channel 2 data (offset 8, PG144): pr_0 is bit 0, pr_fork bit 3 (cv_dfx_4_pr.hwh).
        Assert.Equal(0b1001u, gpio.Read32(8));
        Assert.True(controls["pr_fork"].IsDecoupled);
        Assert.False(controls["pr_join"].IsDecoupled);
        controls["pr_fork"].Recouple();
        Assert.Equal(0b0001u, gpio.Read32(8));
    }

    [Fact]
    public void Decoupler_outside_the_window_is_a_typed_error()
    {
        var board = BoardCatalog.Load("pynq-z2");
        using var window = new InMemoryWindow(0x40000000, 0x1000);

        var e = Assert.Throws<MmioException>(() => new DecouplerControl(window, board.Partition("conv").Decoupler!).Decouple());

        Assert.Equal(0x43C10000ul, e.Address);
    }
}
