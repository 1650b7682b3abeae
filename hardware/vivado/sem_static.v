// SEM controller (PG036) in the static design: the IP core sem_0 (made by dfx.tcl), the configuration
// primitives it drives (ICAPE2, FRAME_ECCE2, UG470) and the monitor shim of the IP's example design
// (serial 8N1), whose line goes to the PS's UART1 over EMIO, where dpr reads the reports that
// src/Fabric/Sem parses. On Zynq the ICAP and the PCAP share the configuration engine: the driver idles
// SEM (monitor command "I") before it writes a partial through the PCAP and resumes it ("O") after.
// Not run here (no Vivado): port names follow PG036 for SEM v4.1.
`timescale 1ns / 1ps
`default_nettype none
module sem_static (
    input  wire clk,        // SEM's ICAP clock: 100 MHz is within the 7-series ICAP limit (DS187)
    output wire uart_tx,
    input  wire uart_rx
);
    wire [31:0] icap_o, icap_i;
    wire        icap_csib, icap_rdwrb;
    wire [7:0]  monitor_txdata, monitor_rxdata;
    wire        monitor_txwrite, monitor_txfull, monitor_rxread, monitor_rxempty;
    wire        fecc_crcerr, fecc_eccerr, fecc_eccerrsingle, fecc_syndromevalid;
    wire [12:0] fecc_syndrome;
    wire [25:0] fecc_far;
    wire [4:0]  fecc_synbit;
    wire [6:0]  fecc_synword;

    sem_0 sem (
        .status_heartbeat(), .status_initialization(), .status_observation(), .status_correction(),
        .status_classification(), .status_injection(), .status_essential(), .status_uncorrectable(),
        .monitor_txdata(monitor_txdata), .monitor_txwrite(monitor_txwrite), .monitor_txfull(monitor_txfull),
        .monitor_rxdata(monitor_rxdata), .monitor_rxread(monitor_rxread), .monitor_rxempty(monitor_rxempty),
        .inject_strobe(1'b0), .inject_address(40'd0),
        .icap_o(icap_o), .icap_csib(icap_csib), .icap_rdwrb(icap_rdwrb), .icap_i(icap_i),
        .icap_clk(clk), .icap_request(), .icap_grant(1'b1),
        .fecc_crcerr(fecc_crcerr), .fecc_eccerr(fecc_eccerr), .fecc_eccerrsingle(fecc_eccerrsingle),
        .fecc_syndromevalid(fecc_syndromevalid), .fecc_syndrome(fecc_syndrome), .fecc_far(fecc_far),
        .fecc_synbit(fecc_synbit), .fecc_synword(fecc_synword));

    ICAPE2 #(.ICAP_WIDTH("X32")) icap (
        .O(icap_o), .CLK(clk), .CSIB(icap_csib), .I(icap_i), .RDWRB(icap_rdwrb));

    FRAME_ECCE2 #(.FARSRC("EFAR"), .FRAME_RBT_IN_FILENAME("NONE")) frame_ecc (
        .CRCERROR(fecc_crcerr), .ECCERROR(fecc_eccerr), .ECCERRORSINGLE(fecc_eccerrsingle),
        .FAR(fecc_far), .SYNBIT(fecc_synbit), .SYNDROME(fecc_syndrome),
        .SYNDROMEVALID(fecc_syndromevalid), .SYNWORD(fecc_synword));

    // Monitor shim of the example design: FIFOs and an 8N1 UART at the baud rate its V_ENABLETIME
    // parameter sets (PG036, "Monitor Interface").
    sem_0_sem_mon monitor (
        .icap_clk(clk), .monitor_tx(uart_tx), .monitor_rx(uart_rx),
        .monitor_txdata(monitor_txdata), .monitor_txwrite(monitor_txwrite), .monitor_txfull(monitor_txfull),
        .monitor_rxdata(monitor_rxdata), .monitor_rxread(monitor_rxread), .monitor_rxempty(monitor_rxempty));
endmodule
`default_nettype wire
