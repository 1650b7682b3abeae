using Dpr.Fabric.Boards;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Boards;

public class StaticDesignCheckTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Board WithId = PynqZ2 with { StaticId = new StaticId(0x43C20000, 0x00D0C0DE) };

    /// <summary>One register window at the ID register's page, holding <paramref name="id"/>.</summary>
    private sealed class IdRegister(uint id) : IPhysicalMemory
    {
        private readonly InMemoryWindow _window = Filled(id);

        private static InMemoryWindow Filled(uint id)
        {
            var window = new InMemoryWindow(0x43C20000, 0x1000);
            window.Write32(0, id);
            return window;
        }

        public IMemoryWindow Map(ulong address, long length) =>
            address >= _window.BaseAddress && address + (ulong)length <= _window.BaseAddress + (ulong)_window.Length
                ? _window
                : throw new MmioException(address, "nothing mapped here");
    }

    [Fact]
    public void The_simulated_board_starts_with_its_static_design()
    {
        var board = new SimulatedBoard(PynqZ2);

        var verdict = StaticDesignCheck.OnSimulated(board.Device);

        Assert.Equal(StaticDesignStatus.Verified, verdict.Status);
        Assert.Equal("pynq-z2_static", board.Device.StaticDesign);
    }

    [Fact]
    public void A_simulated_board_started_with_another_design_is_foreign_and_named()
    {
        var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(StaticDesign: "base_overlay"));

        var verdict = StaticDesignCheck.OnSimulated(board.Device);

        Assert.Equal(StaticDesignStatus.Foreign, verdict.Status);
        Assert.False(verdict.Serves);
        Assert.Contains("'base_overlay'", verdict.Reason);
        Assert.Contains("'pynq-z2_static'", verdict.Reason);
    }

    [Fact]
    public void An_empty_simulated_device_is_foreign()
    {
        var verdict = StaticDesignCheck.OnSimulated(new SimulatedDevice(PynqZ2));

        Assert.Equal(StaticDesignStatus.Foreign, verdict.Status);
        Assert.Contains("no design", verdict.Reason);
    }

    [Fact]
    public void Without_an_id_register_a_configured_pl_is_unverified_not_guessed()
    {
        var verdict = StaticDesignCheck.Judge(PynqZ2, "operating", new IdRegister(0));

        Assert.Equal(StaticDesignStatus.Unverified, verdict.Status);
        Assert.True(verdict.Serves);
        Assert.Contains("staticId", verdict.Reason);
    }

    [Fact]
    public void The_id_register_holding_the_expected_value_verifies()
    {
        var verdict = StaticDesignCheck.Judge(WithId, "operating", new IdRegister(0x00D0C0DE));

        Assert.Equal(StaticDesignStatus.Verified, verdict.Status);
    }

    [Fact]
    public void Another_value_in_the_id_register_is_a_foreign_design()
    {
        var verdict = StaticDesignCheck.Judge(WithId, "operating", new IdRegister(0xBA5E0001));

        Assert.Equal(StaticDesignStatus.Foreign, verdict.Status);
        Assert.Contains("0xBA5E0001", verdict.Reason);
        Assert.Contains("0x00D0C0DE", verdict.Reason);
    }

    [Fact]
    public void An_unreadable_id_register_is_foreign()
    {
        var verdict = StaticDesignCheck.Judge(WithId with { StaticId = new StaticId(0x50000000, 1) }, "operating", new IdRegister(1));

        Assert.Equal(StaticDesignStatus.Foreign, verdict.Status);
        Assert.Contains("cannot be read", verdict.Reason);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("write error")]
    [InlineData("power off")]
    public void A_manager_not_operating_is_foreign_whatever_the_register(string state)
    {
        var verdict = StaticDesignCheck.Judge(WithId, state, new IdRegister(0x00D0C0DE));

        Assert.Equal(StaticDesignStatus.Foreign, verdict.Status);
        Assert.Contains($"'{state}'", verdict.Reason);
    }

    [Fact]
    public void An_unreadable_manager_state_falls_back_to_the_register_or_is_unverified()
    {
        Assert.Equal(StaticDesignStatus.Verified, StaticDesignCheck.Judge(WithId, null, new IdRegister(0x00D0C0DE)).Status);
        Assert.Equal(StaticDesignStatus.Unverified, StaticDesignCheck.Judge(PynqZ2, null, new IdRegister(0)).Status);
    }

    [Fact]
    public void The_profile_reads_and_writes_the_id_register()
    {
        var json = BoardProfileWriter.ToJson(WithId);

        var read = BoardCatalog.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Equal(new StaticId(0x43C20000, 0x00D0C0DE), read.StaticId);
    }

    [Theory]
    [InlineData("""{ "address": "0x43C20002", "value": "0x1" }""", "staticId.address")]
    [InlineData("""{ "address": "0x43C20000" }""", "staticId.value")]
    [InlineData("""{ "address": "0x43C20000", "value": "0x100000000" }""", "staticId.value")]
    public void A_wrong_id_register_names_its_field(string staticId, string field)
    {
        var json = BoardProfileWriter.ToJson(PynqZ2).Replace("\"partitions\"", $"\"staticId\": {staticId},\n  \"partitions\"", StringComparison.Ordinal);

        var e = Assert.Throws<BoardProfileException>(() => BoardCatalog.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))));

        Assert.Equal(field, e.Field);
    }
}
