# Pblock of the reconfigurable partition u_rp (UG909, "Floorplanning"). Whole clock regions keep the
# 7-series rules simple: reconfigurable frames span full clock-region height, and RESET_AFTER_RECONFIG
# (the RM's flip-flops start from their init values after every partial load) needs frame-aligned
# edges. The right half of the two upper clock regions (X1Y1:X1Y2: 25,600 LUT, 60 RAMB36, 80 DSP48E1,
# derived in docs/hardware.md "Resources") holds the largest modules by the Yosys estimate there
# (conv5x5_int32: 13,212 LUT, 80 DSP48E1; conv3x3_int32: 36 BRAM36); check
# `report_utilization -pblocks pblock_rp` after the first implementation.
create_pblock pblock_rp
add_cells_to_pblock [get_pblocks pblock_rp] [get_cells u_rp]
resize_pblock [get_pblocks pblock_rp] -add {CLOCKREGION_X1Y1:CLOCKREGION_X1Y2}
set_property RESET_AFTER_RECONFIG true [get_pblocks pblock_rp]
set_property SNAPPING_MODE ON [get_pblocks pblock_rp]
set_property HD.RECONFIGURABLE true [get_cells u_rp]
