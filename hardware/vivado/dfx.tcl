# Vivado DFX flow for dpr's convolution RMs on the PYNQ-Z2 (xc7z020clg400-1), non-project mode after
# UG909 ("Dynamic Function eXchange") and UG947 (its tutorial):
#   1. static design: block design (static_bd.tcl) + SEM (sem_static.v) + dpr_top.v, RP as a black box;
#   2. the six RMs synthesized out of context (conv_rm.v with K and P fixed by a wrapper conv_rp);
#   3. the first configuration placed and routed with the Pblock (pblock.xdc), the static part locked,
#      then every other RM implemented inside the locked static routing; pr_verify over all of them;
#   4. bitstreams: full .bit per configuration, partial .bit/.bin per RM (the .bin is what Linux's
#      fpga_manager and dpr load), .hwh of the static design, and one <module>.module.json manifest
#      per RM in the form dpr's module catalog reads (src/Fabric/Modules/ModuleManifest.cs).
#
# Usage (Vivado 2020.2 or later, with the PYNQ-Z2 board files installed):
#   vivado -mode batch -source hardware/vivado/dfx.tcl -tclargs [OUT_DIR]
# Output: OUT_DIR (default hardware/build/vivado)/{bitstreams,modules,checkpoints,reports}.
#
# NOT RUN: the machine this was written on has no Vivado. The RTL it builds is simulated and
# synthesized with open tools (docs/hardware.md); this script is the documented path to bitstreams.

set here   [file normalize [file dirname [info script]]]
set hw     [file normalize [file join $here ..]]
set out    [file normalize [expr {[llength $argv] > 0 ? [lindex $argv 0] : [file join $hw build vivado]}]]
set part   xc7z020clg400-1
set board  tul.com.tw:pynq-z2:part0:1.0
set rms    {conv3x3_int8 conv3x3_int16 conv3x3_int32 conv5x5_int8 conv5x5_int16 conv5x5_int32}
set rtl    [list [file join $hw rtl conv_rm.v] [file join $hw rtl conv_axil_slave.v]]
foreach dir {bitstreams modules checkpoints reports src} { file mkdir [file join $out $dir] }

proc kernel_of {name} { return [string index $name 4] }
proc precision_of {name} { return [lindex [split $name _] 1] }
proc bits_of {name} { return [string range [precision_of $name] 3 end] }

# --------------------------------------------------------------------------- 1. static design
create_project -in_memory -part $part
set_property board_part $board [current_project]
set_property target_language Verilog [current_project]
set_property source_mgmt_mode All [current_project]

source [file join $here static_bd.tcl]
set bd_file [get_files static_bd.bd]
generate_target all $bd_file
make_wrapper -files $bd_file -top
read_verilog [file join [file dirname $bd_file] hdl static_bd_wrapper.v]
synth_ip [get_ips]

create_ip -name sem -vendor xilinx.com -library ip -version 4.1 -module_name sem_0
set_property -dict [list CONFIG.MODE {mitigation_and_testing} CONFIG.CLOCK_PERIOD {10000} \
    CONFIG.ENABLE_CORRECTION {true} CONFIG.ENABLE_CLASSIFICATION {false}] [get_ips sem_0]
generate_target all [get_ips sem_0]
synth_ip [get_ips sem_0]
# The monitor shim (UART) comes from the IP's example design.
open_example_project -force -in_process -dir [file join $out src sem_example] [get_ips sem_0]
read_verilog [glob [file join $out src sem_example * imports *sem_mon*.v]]
current_project [lindex [get_projects] 0]

read_verilog [list [file join $here dpr_top.v] [file join $here sem_static.v] [file join $here conv_rp_stub.v]]
synth_design -top dpr_top -part $part
write_checkpoint -force [file join $out checkpoints static_synth.dcp]
write_hw_platform -fixed -force -file [file join $out bitstreams static.xsa]
# The .hwh PYNQ and dpr read (board profile, driver binding) is inside the block design's outputs.
file copy -force [glob [file join [file dirname $bd_file] hw_handoff static_bd.hwh]] \
    [file join $out bitstreams static.hwh]
close_project

# --------------------------------------------------------------------------- 2. RMs out of context
foreach rm $rms {
    set k [kernel_of $rm]
    set p [bits_of $rm]
    # One wrapper per RM: every RM of the partition must be the same module, conv_rp, with the same ports.
    set wrapper [file join $out src conv_rp_$rm.v]
    set f [open $wrapper w]
    puts $f "// $rm as the partition's module conv_rp (written by dfx.tcl)"
    puts $f "module conv_rp (input wire aclk, input wire aresetn,"
    puts $f "    input wire \[11:0\] s_axi_awaddr, input wire s_axi_awvalid, output wire s_axi_awready,"
    puts $f "    input wire \[31:0\] s_axi_wdata, input wire \[3:0\] s_axi_wstrb, input wire s_axi_wvalid, output wire s_axi_wready,"
    puts $f "    output wire \[1:0\] s_axi_bresp, output wire s_axi_bvalid, input wire s_axi_bready,"
    puts $f "    input wire \[11:0\] s_axi_araddr, input wire s_axi_arvalid, output wire s_axi_arready,"
    puts $f "    output wire \[31:0\] s_axi_rdata, output wire \[1:0\] s_axi_rresp, output wire s_axi_rvalid, input wire s_axi_rready,"
    puts $f "    input wire \[63:0\] s_axis_tdata, input wire \[7:0\] s_axis_tkeep, input wire s_axis_tlast, input wire s_axis_tvalid, output wire s_axis_tready,"
    puts $f "    output wire \[63:0\] m_axis_tdata, output wire \[7:0\] m_axis_tkeep, output wire m_axis_tlast, output wire m_axis_tvalid, input wire m_axis_tready,"
    puts $f "    output wire irq);"
    puts $f "    conv_rm #(.K($k), .P($p)) core (.*);"
    puts $f "endmodule"
    close $f
    create_project -in_memory -part $part
    read_verilog -sv $wrapper
    read_verilog $rtl
    set_property include_dirs [file join $hw rtl] [current_fileset]
    synth_design -mode out_of_context -top conv_rp -part $part -include_dirs [file join $hw rtl]
    write_checkpoint -force [file join $out checkpoints rm_${rm}_synth.dcp]
    report_utilization -file [file join $out reports rm_${rm}_synth_utilization.rpt]
    close_project
}

# --------------------------------------------------------------------------- 3. implementation
proc implement {out rm first} {
    open_checkpoint [file join $out checkpoints [expr {$first ? "static_synth.dcp" : "static_routed.dcp"}]]
    read_checkpoint -cell u_rp [file join $out checkpoints rm_${rm}_synth.dcp]
    if {$first} {
        read_xdc [file join $::here pblock.xdc]
    }
    opt_design
    place_design
    phys_opt_design
    route_design
    write_checkpoint -force [file join $out checkpoints config_${rm}_routed.dcp]
    report_timing_summary -file [file join $out reports config_${rm}_timing.rpt]
    report_utilization -pblocks [get_pblocks pblock_rp] -file [file join $out reports config_${rm}_pblock.rpt]
    if {$first} {
        update_design -cell u_rp -black_box
        lock_design -level routing
        write_checkpoint -force [file join $out checkpoints static_routed.dcp]
    }
    close_design
}
implement $out [lindex $rms 0] 1
foreach rm [lrange $rms 1 end] { implement $out $rm 0 }
# Vivado's Tcl is 8.5: no lmap.
set others {}
foreach rm [lrange $rms 1 end] { lappend others [file join $out checkpoints config_${rm}_routed.dcp] }
pr_verify -full_check -initial [file join $out checkpoints config_[lindex $rms 0]_routed.dcp] \
    -additional $others -file [file join $out reports pr_verify.rpt]

# --------------------------------------------------------------------------- 4. bitstreams, manifests
source [file join $here manifest.tcl]
foreach rm $rms {
    open_checkpoint [file join $out checkpoints config_${rm}_routed.dcp]
    # Writes the full image and, for the RP, <name>_pblock_u_rp_partial.bit; -bin_file adds the .bin forms.
    write_bitstream -force -bin_file [file join $out bitstreams config_$rm]
    set util [report_utilization -cells [get_cells u_rp] -return_string]
    close_design
    set partial [file join $out bitstreams config_${rm}_pblock_u_rp_partial.bin]
    file copy -force $partial [file join $out modules $rm.bin]
    file copy -force [file join $out bitstreams static.hwh] [file join $out modules $rm.hwh]
    write_module_manifest [file join $out modules] $rm [kernel_of $rm] [precision_of $rm] $util
}
puts "dfx.tcl: bitstreams in [file join $out bitstreams], module catalog in [file join $out modules]"
