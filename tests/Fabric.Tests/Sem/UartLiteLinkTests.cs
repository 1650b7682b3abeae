using System.Text;
using Dpr.Fabric.Sem;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Sem;

/// <summary>The AXI UART Lite at register level (PG142 register space) and the link that drives it.</summary>
public class UartLiteLinkTests
{
    private const ulong Base = 0x42C00000;

    [Fact]
    public void Status_bits_follow_the_16_character_fifos()
    {
        var uart = new SimulatedUartLite(Base);

        Assert.Equal(UartLiteLink.TxEmpty, uart.Read32(UartLiteLink.StatReg));

        uart.Deliver(Encoding.ASCII.GetBytes("0123456789ABCDEFGHIJ"));
        Assert.Equal(UartLiteLink.RxValid | UartLiteLink.RxFull | UartLiteLink.TxEmpty, uart.Read32(UartLiteLink.StatReg));

        var read = new StringBuilder();
        while ((uart.Read32(UartLiteLink.StatReg) & UartLiteLink.RxValid) != 0)
        {
            read.Append((char)uart.Read32(UartLiteLink.RxFifo));
        }
        Assert.Equal("0123456789ABCDEFGHIJ", read.ToString());
        Assert.Equal(UartLiteLink.TxEmpty, uart.Read32(UartLiteLink.StatReg));
    }

    [Fact]
    public void A_stalled_transmitter_fills_the_tx_fifo_and_the_link_reports_it_instead_of_hanging()
    {
        var uart = new SimulatedUartLite(Base) { TxStalled = true };
        var link = new UartLiteLink(uart, Base);

        for (var i = 0; i < SimulatedUartLite.FifoDepth; i++)
        {
            uart.Write32(UartLiteLink.TxFifo, 'x');
        }

        Assert.Equal(UartLiteLink.TxFull, uart.Read32(UartLiteLink.StatReg) & (UartLiteLink.TxFull | UartLiteLink.TxEmpty));
        var e = Assert.Throws<SemLinkException>(() => link.Write("I\r"u8));
        Assert.Contains("TX FIFO stayed full", e.Message);
    }

    [Fact]
    public void The_link_sends_through_the_tx_fifo_and_reads_everything_waiting_in_order()
    {
        var uart = new SimulatedUartLite(Base);
        var sent = new List<byte>();
        uart.Transmitted += sent.Add;
        var link = new UartLiteLink(uart, Base);

        link.Write("S\r"u8);
        uart.Deliver(Encoding.ASCII.GetBytes("MF 0000ABCD\r\nSN 00\r\nSC 02\r\n"));
        var buffer = new byte[64];
        var count = link.Read(buffer);

        Assert.Equal("S\r", Encoding.ASCII.GetString([.. sent]));
        Assert.Equal("MF 0000ABCD\r\nSN 00\r\nSC 02\r\n", Encoding.ASCII.GetString(buffer, 0, count));
        Assert.Equal(0, link.Read(buffer));
    }

    [Fact]
    public void Opening_the_link_resets_the_fifos_so_stale_characters_are_not_read()
    {
        var uart = new SimulatedUartLite(Base);
        uart.Deliver("SC 04\r\n"u8);
        uart.Read32(UartLiteLink.StatReg);

        var link = new UartLiteLink(uart, Base);

        Assert.Equal(0, link.Read(new byte[16]));
    }

    [Fact]
    public void An_overrun_reported_in_stat_reg_is_counted_once_as_reading_clears_it()
    {
        var uart = new SimulatedUartLite(Base);
        var link = new UartLiteLink(uart, Base);

        uart.RaiseError(UartLiteLink.OverrunError);
        link.Read(new byte[4]);
        link.Read(new byte[4]);

        Assert.Equal(1, link.Overruns);
        Assert.Equal(0, link.LineErrors);
    }

    [Fact]
    public void Nothing_mapped_at_the_address_is_a_link_error_naming_it()
    {
        var board = new SimulatedBoard(Dpr.Fabric.Boards.BoardCatalog.Load("pynq-z2"), new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));

        var e = Assert.Throws<SemLinkException>(() => UartLiteLink.Open(board, 0x4FF00000));

        Assert.Equal("AXI UART Lite at 0x4FF00000", e.Link);
    }
}
