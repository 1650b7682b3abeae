// Static top of the PYNQ-Z2 DFX design: the block design (Zynq PS, AXI interconnects, AXI DMA, DFX
// decoupler, see static_bd.tcl), the SEM controller (sem_static.v) and the reconfigurable partition
// u_rp, whose module
// conv_rp is one of the six convolution RMs (conv_rp_<name>.v, written by dfx.tcl).
// Not run here: no Vivado on the machine that wrote it (see README.md).
`timescale 1ns / 1ps
`default_nettype none
module dpr_top (
    inout  wire [14:0] DDR_addr,
    inout  wire [2:0]  DDR_ba,
    inout  wire        DDR_cas_n,
    inout  wire        DDR_ck_n,
    inout  wire        DDR_ck_p,
    inout  wire        DDR_cke,
    inout  wire        DDR_cs_n,
    inout  wire [3:0]  DDR_dm,
    inout  wire [31:0] DDR_dq,
    inout  wire [3:0]  DDR_dqs_n,
    inout  wire [3:0]  DDR_dqs_p,
    inout  wire        DDR_odt,
    inout  wire        DDR_ras_n,
    inout  wire        DDR_reset_n,
    inout  wire        DDR_we_n,
    inout  wire        FIXED_IO_ddr_vrn,
    inout  wire        FIXED_IO_ddr_vrp,
    inout  wire [53:0] FIXED_IO_mio,
    inout  wire        FIXED_IO_ps_clk,
    inout  wire        FIXED_IO_ps_porb,
    inout  wire        FIXED_IO_ps_srstb
);
    wire        clk, aresetn;
    wire [11:0] rp_awaddr, rp_araddr;
    wire [31:0] rp_wdata, rp_rdata;
    wire [3:0]  rp_wstrb;
    wire [1:0]  rp_bresp, rp_rresp;
    wire        rp_awvalid, rp_awready, rp_wvalid, rp_wready, rp_bvalid, rp_bready;
    wire        rp_arvalid, rp_arready, rp_rvalid, rp_rready;
    wire [63:0] rp_in_tdata, rp_out_tdata;
    wire [7:0]  rp_in_tkeep, rp_out_tkeep;
    wire        rp_in_tlast, rp_in_tvalid, rp_in_tready;
    wire        rp_out_tlast, rp_out_tvalid, rp_out_tready;
    wire        rp_irq;
    wire        sem_uart_tx, sem_uart_rx;

    static_bd_wrapper static_bd (
        .DDR_addr(DDR_addr), .DDR_ba(DDR_ba), .DDR_cas_n(DDR_cas_n), .DDR_ck_n(DDR_ck_n),
        .DDR_ck_p(DDR_ck_p), .DDR_cke(DDR_cke), .DDR_cs_n(DDR_cs_n), .DDR_dm(DDR_dm), .DDR_dq(DDR_dq),
        .DDR_dqs_n(DDR_dqs_n), .DDR_dqs_p(DDR_dqs_p), .DDR_odt(DDR_odt), .DDR_ras_n(DDR_ras_n),
        .DDR_reset_n(DDR_reset_n), .DDR_we_n(DDR_we_n), .FIXED_IO_ddr_vrn(FIXED_IO_ddr_vrn),
        .FIXED_IO_ddr_vrp(FIXED_IO_ddr_vrp), .FIXED_IO_mio(FIXED_IO_mio), .FIXED_IO_ps_clk(FIXED_IO_ps_clk),
        .FIXED_IO_ps_porb(FIXED_IO_ps_porb), .FIXED_IO_ps_srstb(FIXED_IO_ps_srstb),
        .clk_100(clk), .rp_aresetn(aresetn),
        // RP side of the DFX decoupler: held quiet while the partition is reconfigured
        .rp_ctrl_awaddr(rp_awaddr), .rp_ctrl_awvalid(rp_awvalid), .rp_ctrl_awready(rp_awready),
        .rp_ctrl_wdata(rp_wdata), .rp_ctrl_wstrb(rp_wstrb), .rp_ctrl_wvalid(rp_wvalid), .rp_ctrl_wready(rp_wready),
        .rp_ctrl_bresp(rp_bresp), .rp_ctrl_bvalid(rp_bvalid), .rp_ctrl_bready(rp_bready),
        .rp_ctrl_araddr(rp_araddr), .rp_ctrl_arvalid(rp_arvalid), .rp_ctrl_arready(rp_arready),
        .rp_ctrl_rdata(rp_rdata), .rp_ctrl_rresp(rp_rresp), .rp_ctrl_rvalid(rp_rvalid), .rp_ctrl_rready(rp_rready),
        .rp_in_tdata(rp_in_tdata), .rp_in_tkeep(rp_in_tkeep), .rp_in_tlast(rp_in_tlast),
        .rp_in_tvalid(rp_in_tvalid), .rp_in_tready(rp_in_tready),
        .rp_out_tdata(rp_out_tdata), .rp_out_tkeep(rp_out_tkeep), .rp_out_tlast(rp_out_tlast),
        .rp_out_tvalid(rp_out_tvalid), .rp_out_tready(rp_out_tready),
        .rp_irq(rp_irq), .sem_uart_tx(sem_uart_tx), .sem_uart_rx(sem_uart_rx));

    sem_static sem (.clk(clk), .uart_tx(sem_uart_tx), .uart_rx(sem_uart_rx));

    conv_rp u_rp (
        .aclk(clk), .aresetn(aresetn),
        .s_axi_awaddr(rp_awaddr), .s_axi_awvalid(rp_awvalid), .s_axi_awready(rp_awready),
        .s_axi_wdata(rp_wdata), .s_axi_wstrb(rp_wstrb), .s_axi_wvalid(rp_wvalid), .s_axi_wready(rp_wready),
        .s_axi_bresp(rp_bresp), .s_axi_bvalid(rp_bvalid), .s_axi_bready(rp_bready),
        .s_axi_araddr(rp_araddr), .s_axi_arvalid(rp_arvalid), .s_axi_arready(rp_arready),
        .s_axi_rdata(rp_rdata), .s_axi_rresp(rp_rresp), .s_axi_rvalid(rp_rvalid), .s_axi_rready(rp_rready),
        .s_axis_tdata(rp_in_tdata), .s_axis_tkeep(rp_in_tkeep), .s_axis_tlast(rp_in_tlast),
        .s_axis_tvalid(rp_in_tvalid), .s_axis_tready(rp_in_tready),
        .m_axis_tdata(rp_out_tdata), .m_axis_tkeep(rp_out_tkeep), .m_axis_tlast(rp_out_tlast),
        .m_axis_tvalid(rp_out_tvalid), .m_axis_tready(rp_out_tready),
        .irq(rp_irq));
endmodule
`default_nettype wire
