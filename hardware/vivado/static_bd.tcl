# Block design of the static part (UG909/UG994): Zynq PS, AXI interconnects, AXI DMA, DFX decoupler.
# Sourced by dfx.tcl inside a project for the xc7z020clg400-1. The RP side of the decoupler and the
# SEM monitor UART are made external and wired in dpr_top.v. Addresses match
# src/Fabric/Boards/pynq-z2.board.json: RM registers 0x43C0_0000 (64 KiB), decoupler 0x43C1_0000,
# AXI DMA 0x4040_0000. Not run here (no Vivado): check IP versions against your release.

create_bd_design static_bd

# --- Zynq PS: GP0 master for registers, HP0 (64-bit) for the DMA, FCLK0 = 100 MHz, PL-to-PS IRQs,
# UART1 on EMIO for the SEM controller's monitor port.
set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7:5.5 ps7]
apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
    -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} $ps
set_property -dict [list \
    CONFIG.PCW_USE_M_AXI_GP0 {1} \
    CONFIG.PCW_USE_S_AXI_HP0 {1} \
    CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {64} \
    CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {100} \
    CONFIG.PCW_USE_FABRIC_INTERRUPT {1} \
    CONFIG.PCW_IRQ_F2P_INTR {1} \
    CONFIG.PCW_UART1_PERIPHERAL_ENABLE {1} \
    CONFIG.PCW_UART1_UART1_IO {EMIO} \
] $ps

set clk [get_bd_pins ps7/FCLK_CLK0]
set rst [create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset:5.0 rst_100]
connect_bd_net $clk [get_bd_pins rst_100/slowest_sync_clk]
connect_bd_net [get_bd_pins ps7/FCLK_RESET0_N] [get_bd_pins rst_100/ext_reset_in]
connect_bd_net $clk [get_bd_pins ps7/M_AXI_GP0_ACLK] [get_bd_pins ps7/S_AXI_HP0_ACLK]

# --- AXI DMA, simple (register) mode: one MM2S and one S2MM transfer per pass, 64-bit streams.
set dma [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:7.1 dma]
set_property -dict [list \
    CONFIG.c_include_sg {0} \
    CONFIG.c_sg_length_width {26} \
    CONFIG.c_m_axi_mm2s_data_width {64} \
    CONFIG.c_m_axis_mm2s_tdata_width {64} \
    CONFIG.c_m_axi_s2mm_data_width {64} \
    CONFIG.c_s_axis_s2mm_tdata_width {64} \
    CONFIG.c_mm2s_burst_size {16} \
    CONFIG.c_s2mm_burst_size {16} \
] $dma

# --- DFX decoupler (PG227) between the static design and the RP: AXI4-Lite control, the two
# streams and the interrupt. Its own AXI4-Lite register 0 bit 0 is "decouple" (the board profile's
# decoupler address and bit).
set dec [create_bd_cell -type ip -vlnv xilinx.com:ip:dfx_decoupler:1.0 decoupler]
set_property CONFIG.ALL_PARAMS {
    HAS_AXI_LITE 1
    HAS_SIGNAL_CONTROL 0
    HAS_SIGNAL_STATUS 0
    INTF {
        rp_ctrl {ID 0 VLNV xilinx.com:interface:aximm_rtl:1.0 MODE slave PROTOCOL axi4lite
                 SIGNALS {ARVALID {PRESENT 1} ARREADY {PRESENT 1} AWVALID {PRESENT 1} AWREADY {PRESENT 1}
                          BVALID {PRESENT 1} BREADY {PRESENT 1} RVALID {PRESENT 1} RREADY {PRESENT 1}
                          WVALID {PRESENT 1} WREADY {PRESENT 1} AWADDR {PRESENT 1 WIDTH 12}
                          ARADDR {PRESENT 1 WIDTH 12} WDATA {PRESENT 1 WIDTH 32} WSTRB {PRESENT 1 WIDTH 4}
                          RDATA {PRESENT 1 WIDTH 32} RRESP {PRESENT 1 WIDTH 2} BRESP {PRESENT 1 WIDTH 2}}}
        rp_in   {ID 1 VLNV xilinx.com:interface:axis_rtl:1.0 MODE master
                 SIGNALS {TDATA {PRESENT 1 WIDTH 64} TKEEP {PRESENT 1 WIDTH 8} TLAST {PRESENT 1}
                          TVALID {PRESENT 1} TREADY {PRESENT 1}}}
        rp_out  {ID 2 VLNV xilinx.com:interface:axis_rtl:1.0 MODE slave
                 SIGNALS {TDATA {PRESENT 1 WIDTH 64} TKEEP {PRESENT 1 WIDTH 8} TLAST {PRESENT 1}
                          TVALID {PRESENT 1} TREADY {PRESENT 1}}}
        rp_irq  {ID 3 VLNV xilinx.com:signal:interrupt_rtl:1.0 MODE slave}
    }
} $dec
connect_bd_net $clk [get_bd_pins decoupler/aclk] [get_bd_pins decoupler/s_axi_reg_aclk]
connect_bd_net [get_bd_pins rst_100/peripheral_aresetn] [get_bd_pins decoupler/s_axi_reg_aresetn]

# --- Register interconnect: GP0 -> DMA registers, decoupler registers, RM registers (via decoupler).
set gp [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_interconnect:2.1 gp_interconnect]
set_property CONFIG.NUM_MI {3} $gp
connect_bd_intf_net [get_bd_intf_pins ps7/M_AXI_GP0] [get_bd_intf_pins gp_interconnect/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins gp_interconnect/M00_AXI] [get_bd_intf_pins dma/S_AXI_LITE]
connect_bd_intf_net [get_bd_intf_pins gp_interconnect/M01_AXI] [get_bd_intf_pins decoupler/s_axi_reg]
connect_bd_intf_net [get_bd_intf_pins gp_interconnect/M02_AXI] [get_bd_intf_pins decoupler/s_rp_ctrl]

# --- Data path: HP0 <- DMA MM2S/S2MM; MM2S -> decoupler -> RP; RP -> decoupler -> S2MM.
set hp [create_bd_cell -type ip -vlnv xilinx.com:ip:axi_interconnect:2.1 hp_interconnect]
set_property -dict [list CONFIG.NUM_SI {2} CONFIG.NUM_MI {1}] $hp
connect_bd_intf_net [get_bd_intf_pins dma/M_AXI_MM2S] [get_bd_intf_pins hp_interconnect/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins dma/M_AXI_S2MM] [get_bd_intf_pins hp_interconnect/S01_AXI]
connect_bd_intf_net [get_bd_intf_pins hp_interconnect/M00_AXI] [get_bd_intf_pins ps7/S_AXI_HP0]
connect_bd_intf_net [get_bd_intf_pins dma/M_AXIS_MM2S] [get_bd_intf_pins decoupler/s_rp_in]
connect_bd_intf_net [get_bd_intf_pins decoupler/s_rp_out] [get_bd_intf_pins dma/S_AXIS_S2MM]

foreach pin [get_bd_pins -filter {TYPE == clk} -of_objects [get_bd_cells {dma gp_interconnect hp_interconnect}]] {
    connect_bd_net $clk $pin
}
foreach pin [get_bd_pins -filter {TYPE == rst && DIR == I} -of_objects [get_bd_cells {dma gp_interconnect hp_interconnect}]] {
    connect_bd_net [get_bd_pins rst_100/peripheral_aresetn] $pin
}

# --- Interrupts to the PS: DMA MM2S, DMA S2MM, RM done (through the decoupler).
set irq [create_bd_cell -type ip -vlnv xilinx.com:ip:xlconcat:2.1 irq_concat]
set_property CONFIG.NUM_PORTS {3} $irq
connect_bd_net [get_bd_pins dma/mm2s_introut] [get_bd_pins irq_concat/In0]
connect_bd_net [get_bd_pins dma/s2mm_introut] [get_bd_pins irq_concat/In1]
connect_bd_net [get_bd_pins decoupler/s_rp_irq_INTERRUPT] [get_bd_pins irq_concat/In2]
connect_bd_net [get_bd_pins irq_concat/dout] [get_bd_pins ps7/IRQ_F2P]

# --- External ports: the RP side of the decoupler, its clock and reset, and the SEM monitor UART.
make_bd_intf_pins_external [get_bd_intf_pins decoupler/rp_rp_ctrl] -name rp_ctrl
make_bd_intf_pins_external [get_bd_intf_pins decoupler/rp_rp_in] -name rp_in
make_bd_intf_pins_external [get_bd_intf_pins decoupler/rp_rp_out] -name rp_out
make_bd_pins_external [get_bd_pins decoupler/rp_rp_irq_INTERRUPT] -name rp_irq
create_bd_port -dir O -type clk clk_100
connect_bd_net $clk [get_bd_ports clk_100]
set_property CONFIG.ASSOCIATED_BUSIF {rp_ctrl:rp_in:rp_out} [get_bd_ports clk_100]
create_bd_port -dir O -type rst rp_aresetn
connect_bd_net [get_bd_pins rst_100/peripheral_aresetn] [get_bd_ports rp_aresetn]
make_bd_pins_external [get_bd_pins ps7/UART1_TX] -name sem_uart_rx
make_bd_pins_external [get_bd_pins ps7/UART1_RX] -name sem_uart_tx

# --- Address map (the board profile reads these).
assign_bd_address
set_property offset 0x40400000 [get_bd_addr_segs {ps7/Data/SEG_dma_Reg}]
set_property offset 0x43C10000 [get_bd_addr_segs {ps7/Data/SEG_decoupler_Reg}]
set_property range 64K [get_bd_addr_segs {ps7/Data/SEG_rp_ctrl_Reg}]
set_property offset 0x43C00000 [get_bd_addr_segs {ps7/Data/SEG_rp_ctrl_Reg}]

validate_bd_design
save_bd_design
