// Register map of every convolution RM. Written from hardware/register-map.json; the test
// tests/Fabric.Tests/Hardware/RegisterMapTests.cs fails if the two disagree.
`ifndef CONV_REGS_VH
`define CONV_REGS_VH

`define CONV_ID_MAGIC        16'h434E
`define CONV_VERSION_VALUE   32'h00020000

`define CONV_REG_ID          12'h000
`define CONV_REG_VERSION     12'h004
`define CONV_REG_CAPS        12'h008
`define CONV_REG_CAPS2       12'h00C
`define CONV_REG_CTRL        12'h010
`define CONV_REG_STATUS      12'h014
`define CONV_REG_IER         12'h018
`define CONV_REG_IMG_W       12'h020
`define CONV_REG_IMG_H       12'h024
`define CONV_REG_FRAMES      12'h028
`define CONV_REG_CONFIG      12'h02C
`define CONV_REG_BIAS_LO     12'h030
`define CONV_REG_BIAS_HI     12'h034
`define CONV_REG_OUT_W       12'h038
`define CONV_REG_OUT_H       12'h03C
`define CONV_REG_CYCLES      12'h040
`define CONV_REG_CIN         12'h044
`define CONV_REG_COUT        12'h048
`define CONV_REG_WEIGHT_BASE 12'h100
`define CONV_WEIGHT_STRIDE   4
`define CONV_WEIGHT_COUNT    25
`define CONV_REG_BIAS_BASE   12'h200
`define CONV_BIAS_STRIDE     4
`define CONV_BIAS_COUNT      16

`define CONV_ID_P_LSB              0
`define CONV_ID_P_WIDTH            8
`define CONV_ID_K_LSB              8
`define CONV_ID_K_WIDTH            8
`define CONV_ID_MAGIC_LSB          16
`define CONV_ID_MAGIC_WIDTH        16
`define CONV_CAPS_MAX_WIDTH_LSB    0
`define CONV_CAPS_MAX_WIDTH_WIDTH  16
`define CONV_CAPS_ROW_CLOCKS_LSB   16
`define CONV_CAPS_ROW_CLOCKS_WIDTH 8
`define CONV_CAPS_STRIDE2_ROWS_LSB 24
`define CONV_CAPS_STRIDE2_ROWS_WIDTH 1
`define CONV_CAPS2_PI_LSB          0
`define CONV_CAPS2_PI_WIDTH        8
`define CONV_CAPS2_PO_LSB          8
`define CONV_CAPS2_PO_WIDTH        8
`define CONV_CAPS2_MAX_CIN_LSB     16
`define CONV_CAPS2_MAX_CIN_WIDTH   16
`define CONV_CTRL_START_LSB        0
`define CONV_CTRL_START_WIDTH      1
`define CONV_CTRL_LOAD_WEIGHTS_LSB 1
`define CONV_CTRL_LOAD_WEIGHTS_WIDTH 1
`define CONV_STATUS_BUSY_LSB       0
`define CONV_STATUS_BUSY_WIDTH     1
`define CONV_STATUS_DONE_LSB       1
`define CONV_STATUS_DONE_WIDTH     1
`define CONV_STATUS_ERROR_LSB      2
`define CONV_STATUS_ERROR_WIDTH    1
`define CONV_IER_DONE_LSB          0
`define CONV_IER_DONE_WIDTH        1
`define CONV_IMG_W_VALUE_LSB       0
`define CONV_IMG_W_VALUE_WIDTH     16
`define CONV_IMG_H_VALUE_LSB       0
`define CONV_IMG_H_VALUE_WIDTH     16
`define CONV_FRAMES_VALUE_LSB      0
`define CONV_FRAMES_VALUE_WIDTH    32
`define CONV_CONFIG_STRIDE_LSB     0
`define CONV_CONFIG_STRIDE_WIDTH   2
`define CONV_CONFIG_PAD_SAME_LSB   4
`define CONV_CONFIG_PAD_SAME_WIDTH 1
`define CONV_CONFIG_RAW_LSB        8
`define CONV_CONFIG_RAW_WIDTH      1
`define CONV_CONFIG_SHIFT_LSB      16
`define CONV_CONFIG_SHIFT_WIDTH    6
`define CONV_CIN_VALUE_LSB         0
`define CONV_CIN_VALUE_WIDTH       16
`define CONV_COUT_VALUE_LSB        0
`define CONV_COUT_VALUE_WIDTH      8

`endif
