// Convolution reconfigurable module: one KxK single-channel 2D convolution at P-bit precision,
// exactly docs/convolution.md (zero padding, stride 1/2, 64-bit wrapping accumulation, Int64 bias,
// round-half-up shift, saturation, raw 64-bit accumulator mode).
//
// Data path (one virtual pixel per clock, see docs/hardware.md):
//   AXI4-Stream in (64-bit beats, 64/P little-endian elements each, NCHW bytes as the DMA reads them)
//   -> unpacker -> scan over the zero-padded (H+2p) x (W+2p) grid (padding is inserted, not read)
//   -> K-1 line buffers (one block RAM word holds the K-1 rows of a column) -> the pixel column
//   -> KxK multipliers (two int8 taps per DSP48E1, one int16 product per DSP48E1) -> column sums
//   -> transposed-form chain over the K columns of the window
//   -> + bias -> round/shift -> saturate (or raw) -> packer -> AXI4-Stream out (64-bit beats).
// Every stage advances on one enable, en, which is low only while the output beat waits for TREADY.
//
// Every variant has the same ports, so all six can be reconfigurable modules of one partition.
`timescale 1ns / 1ps
`default_nettype none
`include "conv_regs.vh"
module conv_rm #(
    parameter integer K        = 3,     // kernel size: 3 or 5
    parameter integer P        = 8,     // precision in bits: 8, 16 or 32
    parameter integer LB_DEPTH = 2048   // line buffer words: image width + 2 * pad at most
) (
    input  wire        aclk,
    input  wire        aresetn,
    // AXI4-Lite control (register map: hardware/register-map.json)
    input  wire [11:0] s_axi_awaddr,
    input  wire        s_axi_awvalid,
    output wire        s_axi_awready,
    input  wire [31:0] s_axi_wdata,
    input  wire [3:0]  s_axi_wstrb,
    input  wire        s_axi_wvalid,
    output wire        s_axi_wready,
    output wire [1:0]  s_axi_bresp,
    output wire        s_axi_bvalid,
    input  wire        s_axi_bready,
    input  wire [11:0] s_axi_araddr,
    input  wire        s_axi_arvalid,
    output wire        s_axi_arready,
    output wire [31:0] s_axi_rdata,
    output wire [1:0]  s_axi_rresp,
    output wire        s_axi_rvalid,
    input  wire        s_axi_rready,
    // AXI4-Stream input from the DMA (MM2S)
    input  wire [63:0] s_axis_tdata,
    /* verilator lint_off UNUSEDSIGNAL */
    // The element count comes from IMG_W x IMG_H x FRAMES, so TKEEP and TLAST of the input carry no
    // information the core needs; the lanes of the last beat beyond the last element are dropped.
    input  wire [7:0]  s_axis_tkeep,
    input  wire        s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    // AXI4-Stream output to the DMA (S2MM): TLAST on the last beat of the batch, TKEEP partial only there
    output wire [63:0] m_axis_tdata,
    output wire [7:0]  m_axis_tkeep,
    output wire        m_axis_tlast,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        irq
);
    function integer clog2;
        input integer value;
        integer v;
        begin
            clog2 = 0;
            for (v = value - 1; v > 0; v = v >> 1) clog2 = clog2 + 1;
        end
    endfunction

    localparam integer KK     = K * K;
    localparam integer PAD    = (K - 1) / 2;
    localparam integer LANES  = 64 / P;
    localparam integer LANE_W = clog2(LANES);
    localparam integer AW     = clog2(LB_DEPTH);
    localparam integer LEVELS = clog2(KK);
    // |x*w| <= 2^(2P-2), so K*K products fit in 2P-1+LEVELS bits; int32 uses 64 bits and wraps modulo
    // 2^64 exactly as docs/convolution.md defines.
    localparam integer SUM_W  = (2 * P + LEVELS > 64) ? 64 : 2 * P + LEVELS;
    localparam integer PROD_W = 2 * P;
    localparam [31:0]  ID_VALUE   = {`CONV_ID_MAGIC, K[7:0], P[7:0]};
    localparam integer MAX_WIDTH_I = LB_DEPTH - 2 * PAD;
    localparam [15:0]  MAX_WIDTH  = MAX_WIDTH_I[15:0];
    localparam integer K1_I       = K - 1;
    localparam [17:0]  K1         = K1_I[17:0];
    localparam integer BYTES      = P / 8;
    localparam signed [63:0] MAX_P = (64'sd1 <<< (P - 1)) - 64'sd1;
    localparam signed [63:0] MIN_P = -(64'sd1 <<< (P - 1));

    // ------------------------------------------------------------------ AXI4-Lite and registers
    wire        wr_en;
    wire [11:0] wr_addr;
    wire [31:0] wr_data;
    wire [3:0]  wr_strb;
    wire [11:0] rd_addr;
    reg  [31:0] rd_data;

    conv_axil_slave #(.ADDR_W(12)) axil (
        .aclk(aclk), .aresetn(aresetn),
        .s_axi_awaddr(s_axi_awaddr), .s_axi_awvalid(s_axi_awvalid), .s_axi_awready(s_axi_awready),
        .s_axi_wdata(s_axi_wdata), .s_axi_wstrb(s_axi_wstrb), .s_axi_wvalid(s_axi_wvalid),
        .s_axi_wready(s_axi_wready), .s_axi_bresp(s_axi_bresp), .s_axi_bvalid(s_axi_bvalid),
        .s_axi_bready(s_axi_bready), .s_axi_araddr(s_axi_araddr), .s_axi_arvalid(s_axi_arvalid),
        .s_axi_arready(s_axi_arready), .s_axi_rdata(s_axi_rdata), .s_axi_rresp(s_axi_rresp),
        .s_axi_rvalid(s_axi_rvalid), .s_axi_rready(s_axi_rready),
        .wr_en(wr_en), .wr_addr(wr_addr), .wr_data(wr_data), .wr_strb(wr_strb),
        .rd_addr(rd_addr), .rd_data(rd_data));

    reg [15:0]     img_w, img_h;
    reg [31:0]     frames;
    reg [1:0]      cfg_stride;
    reg            cfg_pad_same, cfg_raw;
    reg [5:0]      cfg_shift;
    reg [63:0]     bias;
    reg [KK*P-1:0] weights;
    reg            ie, busy, done_flag, err_flag;
    reg [31:0]     cycles;

    // Byte-lane merge for WSTRB (AXI4-Lite requires slaves to honour it).
    function [31:0] merge;
        input [31:0] old_value;
        input [31:0] new_value;
        input [3:0]  strb;
        integer b;
        begin
            for (b = 0; b < 4; b = b + 1)
                merge[b*8 +: 8] = strb[b] ? new_value[b*8 +: 8] : old_value[b*8 +: 8];
        end
    endfunction

    function [15:0] merge16;
        input [15:0] old_value;
        input [15:0] new_value;
        input [1:0]  strb;
        begin
            merge16[7:0]  = strb[0] ? new_value[7:0]  : old_value[7:0];
            merge16[15:8] = strb[1] ? new_value[15:8] : old_value[15:8];
        end
    endfunction

    function [P-1:0] merge_p;
        input [P-1:0]   old_value;
        input [P-1:0]   new_value;
        input [P/8-1:0] strb;
        integer b;
        begin
            for (b = 0; b < P / 8; b = b + 1)
                merge_p[b*8 +: 8] = strb[b] ? new_value[b*8 +: 8] : old_value[b*8 +: 8];
        end
    endfunction

    // Derived geometry of the current configuration (docs/convolution.md, "Output shape").
    wire [2:0]  pad_n  = cfg_pad_same ? PAD[2:0] : 3'd0;
    wire [17:0] wv     = {2'b0, img_w} + {14'd0, pad_n, 1'b0};
    wire [17:0] hv     = {2'b0, img_h} + {14'd0, pad_n, 1'b0};
    wire        fits   = (wv >= K[17:0]) && (hv >= K[17:0]);
    wire        s2     = (cfg_stride == 2'd2);
    wire [17:0] span_w = wv - K[17:0];
    wire [17:0] span_h = hv - K[17:0];
    wire [17:0] out_w  = fits ? (s2 ? {1'b0, span_w[17:1]} : span_w) + 18'd1 : 18'd0;
    wire [17:0] out_h  = fits ? (s2 ? {1'b0, span_h[17:1]} : span_h) + 18'd1 : 18'd0;
    wire        cfg_ok = (img_w != 16'd0) && (img_h != 16'd0) && (frames != 32'd0)
                         && (cfg_stride == 2'd1 || s2) && (!cfg_raw || cfg_shift == 6'd0)
                         && fits && (wv <= LB_DEPTH[17:0]);

    wire start_req = wr_en && wr_addr == `CONV_REG_CTRL && wr_strb[0] && wr_data[`CONV_CTRL_START_LSB];
    wire start     = start_req && !busy && cfg_ok;
    wire cfg_write = wr_en && !busy;

    wire [11:0] weight_off = wr_addr - `CONV_REG_WEIGHT_BASE;
    wire [11:0] rd_weight_off = rd_addr - `CONV_REG_WEIGHT_BASE;
    wire [31:0]     weight_q [0:KK-1];
    wire [KK*P-1:0] weight_next;
    wire [15:0]     img_w_next = merge16(img_w, wr_data[15:0], wr_strb[1:0]);
    wire [15:0]     img_h_next = merge16(img_h, wr_data[15:0], wr_strb[1:0]);
    genvar gi;
    generate
        for (gi = 0; gi < KK; gi = gi + 1) begin : g_weight_view
            wire signed [P-1:0] wq = weights[gi*P +: P];
            assign weight_q[gi] = {{(32-P+1){wq[P-1]}}, wq[P-2:0]};
            assign weight_next[gi*P +: P] = merge_p(wq, wr_data[P-1:0], wr_strb[P/8-1:0]);
        end
    endgenerate

    // Set by the core (done, scan, output) and cleared by the driver: declared before use below.
    reg scanning, in_done, out_done;
    reg p_valid;

    integer wi;
    always @(posedge aclk) begin
        if (!aresetn) begin
            img_w        <= 16'd0;
            img_h        <= 16'd0;
            frames       <= 32'd1;
            cfg_stride   <= 2'd1;
            cfg_pad_same <= 1'b0;
            cfg_raw      <= 1'b0;
            cfg_shift    <= 6'd0;
            bias         <= 64'd0;
            weights      <= {KK*P{1'b0}};
            ie           <= 1'b0;
            busy         <= 1'b0;
            done_flag    <= 1'b0;
            err_flag     <= 1'b0;
            cycles       <= 32'd0;
        end else begin
            if (busy) cycles <= cycles + 32'd1;
            if (cfg_write) begin
                case (wr_addr)
                    `CONV_REG_IMG_W:   img_w <= img_w_next;
                    `CONV_REG_IMG_H:   img_h <= img_h_next;
                    `CONV_REG_FRAMES:  frames <= merge(frames, wr_data, wr_strb);
                    `CONV_REG_BIAS_LO: bias[31:0] <= merge(bias[31:0], wr_data, wr_strb);
                    `CONV_REG_BIAS_HI: bias[63:32] <= merge(bias[63:32], wr_data, wr_strb);
                    `CONV_REG_CONFIG: begin
                        if (wr_strb[0]) begin
                            cfg_stride   <= wr_data[`CONV_CONFIG_STRIDE_LSB +: `CONV_CONFIG_STRIDE_WIDTH];
                            cfg_pad_same <= wr_data[`CONV_CONFIG_PAD_SAME_LSB];
                        end
                        if (wr_strb[1]) cfg_raw <= wr_data[`CONV_CONFIG_RAW_LSB];
                        if (wr_strb[2]) cfg_shift <= wr_data[`CONV_CONFIG_SHIFT_LSB +: `CONV_CONFIG_SHIFT_WIDTH];
                    end
                    default: begin
                        for (wi = 0; wi < KK; wi = wi + 1)
                            if ({20'd0, weight_off} == wi * `CONV_WEIGHT_STRIDE)
                                weights[wi*P +: P] <= weight_next[wi*P +: P];
                    end
                endcase
            end
            if (wr_en && wr_addr == `CONV_REG_IER && wr_strb[0])
                ie <= wr_data[`CONV_IER_DONE_LSB];
            if (wr_en && wr_addr == `CONV_REG_STATUS && wr_strb[0]) begin
                if (wr_data[`CONV_STATUS_DONE_LSB]) done_flag <= 1'b0;
                if (wr_data[`CONV_STATUS_ERROR_LSB]) err_flag <= 1'b0;
            end
            if (start_req && !busy) begin
                // A start with a configuration outside docs/convolution.md is refused, not run.
                done_flag <= 1'b0;
                err_flag  <= !cfg_ok;
                busy      <= cfg_ok;
                cycles    <= 32'd0;
            end else if (busy && out_done && !scanning && !p_valid) begin
                busy      <= 1'b0;
                done_flag <= 1'b1;
            end
        end
    end

    integer ri;
    always @(*) begin
        rd_data = 32'd0;
        ri      = 0;     // the loop index below is assigned on every path, so it infers no latch
        case (rd_addr)
            `CONV_REG_ID:      rd_data = ID_VALUE;
            `CONV_REG_VERSION: rd_data = `CONV_VERSION_VALUE;
            `CONV_REG_CAPS:    rd_data = {16'd0, MAX_WIDTH};
            `CONV_REG_STATUS:  rd_data = {29'd0, err_flag, done_flag, busy};
            `CONV_REG_IER:     rd_data = {31'd0, ie};
            `CONV_REG_IMG_W:   rd_data = {16'd0, img_w};
            `CONV_REG_IMG_H:   rd_data = {16'd0, img_h};
            `CONV_REG_FRAMES:  rd_data = frames;
            `CONV_REG_CONFIG:  rd_data = {10'd0, cfg_shift, 7'd0, cfg_raw, 3'd0, cfg_pad_same, 2'd0, cfg_stride};
            `CONV_REG_BIAS_LO: rd_data = bias[31:0];
            `CONV_REG_BIAS_HI: rd_data = bias[63:32];
            `CONV_REG_OUT_W:   rd_data = {14'd0, out_w};
            `CONV_REG_OUT_H:   rd_data = {14'd0, out_h};
            `CONV_REG_CYCLES:  rd_data = cycles;
            default: begin
                for (ri = 0; ri < KK; ri = ri + 1)
                    if ({20'd0, rd_weight_off} == ri * `CONV_WEIGHT_STRIDE) rd_data = weight_q[ri];
            end
        endcase
    end

    assign irq = ie && done_flag;

    // ------------------------------------------------------------------ geometry latched at start
    reg [17:0] wv_q, hv_q;
    reg [17:0] r_lo, r_hi, c_lo, c_hi;      // the image in_img the padded grid
    reg [17:0] r_out_last, c_out_last;      // where the last output window ends
    reg [31:0] last_frame;
    reg        s2_q;
    always @(posedge aclk) begin
        if (start) begin
            wv_q       <= wv;
            hv_q       <= hv;
            r_lo       <= {15'd0, pad_n};
            c_lo       <= {15'd0, pad_n};
            r_hi       <= {15'd0, pad_n} + {2'b0, img_h} - 18'd1;
            c_hi       <= {15'd0, pad_n} + {2'b0, img_w} - 18'd1;
            r_out_last <= K[17:0] - 18'd1 + ((out_h - 18'd1) << s2);
            c_out_last <= K[17:0] - 18'd1 + ((out_w - 18'd1) << s2);
            last_frame <= frames - 32'd1;
            s2_q       <= s2;
        end
    end

    // ------------------------------------------------------------------ output register and enable
    reg  [63:0] o_data;
    reg  [7:0]  o_keep;
    reg         o_valid, o_last;
    wire        en = !o_valid || m_axis_tready;
    assign m_axis_tdata  = o_data;
    assign m_axis_tkeep  = o_keep;
    assign m_axis_tlast  = o_last;
    assign m_axis_tvalid = o_valid;

    // ------------------------------------------------------------------ unpacker and scan
    reg  [63:0]       u_buf;
    reg  [LANE_W-1:0] u_lane;
    reg               u_valid;
    reg  [17:0]       sr, sc;
    reg  [31:0]       sf;
    wire [P-1:0]      u_elem     = u_buf[u_lane*P +: P];
    wire              in_img     = (sr >= r_lo) && (sr <= r_hi) && (sc >= c_lo) && (sc <= c_hi);
    wire              last_f     = (sf == last_frame);
    wire              row_end    = (sc == wv_q - 18'd1);
    wire              col_end    = (sr == hv_q - 18'd1);
    wire              final_elem = last_f && (sr == r_hi) && (sc == c_hi);
    // Window rows r-K+1..r and columns c-K+1..c; for stride 2 the first row/column K-1 is even.
    wire              is_out     = (sr >= K1) && (sc >= K1) && (!s2_q || (!sr[0] && !sc[0]));
    wire              is_last    = last_f && (sr == r_out_last) && (sc == c_out_last);
    wire              push       = scanning && en && (!in_img || u_valid);
    wire              consume    = push && in_img;
    wire              u_last     = (u_lane == LANES[LANE_W-1:0] - 1'b1);
    // Look ahead one beat so that the stream keeps up with one element per clock, but never take a
    // beat that belongs to the next batch.
    assign s_axis_tready = scanning && !in_done && (!u_valid || (consume && u_last && !final_elem));
    wire              u_take     = s_axis_tvalid && s_axis_tready;

    always @(posedge aclk) begin
        if (!aresetn) begin
            u_valid  <= 1'b0;
            u_lane   <= {LANE_W{1'b0}};
            in_done  <= 1'b0;
            scanning <= 1'b0;
            sr       <= 18'd0;
            sc       <= 18'd0;
            sf       <= 32'd0;
        end else if (start) begin
            u_valid  <= 1'b0;
            u_lane   <= {LANE_W{1'b0}};
            in_done  <= 1'b0;
            scanning <= 1'b1;
            sr       <= 18'd0;
            sc       <= 18'd0;
            sf       <= 32'd0;
        end else begin
            if (u_take) begin
                u_buf   <= s_axis_tdata;
                u_lane  <= {LANE_W{1'b0}};
                u_valid <= 1'b1;
            end else if (consume) begin
                if (u_last || final_elem) u_valid <= 1'b0;
                u_lane <= u_lane + 1'b1;
            end
            if (consume && final_elem) in_done <= 1'b1;
            if (push) begin
                if (row_end) begin
                    sc <= 18'd0;
                    if (col_end) begin
                        sr <= 18'd0;
                        if (last_f) scanning <= 1'b0;
                        else sf <= sf + 32'd1;
                    end else begin
                        sr <= sr + 18'd1;
                    end
                end else begin
                    sc <= sc + 18'd1;
                end
            end
        end
    end

    // ------------------------------------------------------------------ line buffers and window
    // One word per column holds the K-1 rows above: field 0 the row just above, field K-2 the oldest.
    // Read when a pixel enters stage p, written back (shifted by one row) when it leaves: the two
    // addresses differ because consecutive pixels are in consecutive columns (the grid is >= K wide).
    reg [(K-1)*P-1:0] lb [0:LB_DEPTH-1];
    reg [(K-1)*P-1:0] lb_q;
    reg [P-1:0]       p_val;
    reg [AW-1:0]      p_col;
    reg               p_out, p_last;
    wire [(K-1)*P-1:0] lb_wdata;
    generate
        if (K > 2) begin : g_lb_shift
            assign lb_wdata = {lb_q[(K-2)*P-1:0], p_val};
        end else begin : g_lb_single
            assign lb_wdata = p_val;
        end
    endgenerate

    always @(posedge aclk) begin
        if (push) lb_q <= lb[sc[AW-1:0]];
        if (en && p_valid) lb[p_col] <= lb_wdata;
    end

    always @(posedge aclk) begin
        if (!aresetn) begin
            p_valid <= 1'b0;
        end else if (en) begin
            p_valid <= push;
        end
        if (en && push) begin
            p_val  <= in_img ? u_elem : {P{1'b0}};
            p_col  <= sc[AW-1:0];
            p_out  <= is_out;
            p_last <= is_last;
        end
    end

    // ------------------------------------------------------------------ column products
    // Transposed form: when pixel column c (rows r-K+1..r) arrives, all K*K products of that column
    // with the weights are formed at once, column sums cs_j = sum over ky of x[ky] * w[ky][j] are
    // taken, and a chain s_j <= s_(j-1) + cs_j (one step per pixel) leaves in s_(K-1) the sum over kx
    // of cs_kx of column c-K+1+kx: the output whose window ends at column c. Each pixel meets all K
    // weights of its row of taps in the same clock, which is what lets int8 put two taps in one DSP48E1.
    reg [K*P-1:0] colv;     // colv[ky] = pixel (r-K+1+ky, c)
    reg           c_pix, c_out, c_last;
    integer ky;
    always @(posedge aclk) begin
        if (!aresetn) begin
            c_pix <= 1'b0;
        end else if (en) begin
            c_pix <= p_valid;
        end
        if (en) begin
            c_out  <= p_out;
            c_last <= p_last;
        end
        if (en && p_valid) begin
            for (ky = 0; ky < K - 1; ky = ky + 1)
                colv[ky*P +: P] <= lb_q[(K-2-ky)*P +: P];
            colv[(K-1)*P +: P] <= p_val;
        end
    end

    // Stages m and m2: prod[ky*K+j] = colv[ky] * w[ky][j], exact, 2P bits.
    reg [KK*PROD_W-1:0] prod;
    generate
        if (P == 8) begin : g_int8_pairs
            // Two int8 taps of one row share a DSP48E1 (25 x 18 multiplier): A = w_a * 2^16 + w_b fits
            // 25 bits (|A| <= 128 * 2^16 + 128 < 2^24), B = x, so A * x = (w_a * x) * 2^16 + w_b * x.
            // |w_b * x| <= 2^14, so the low 16 bits hold w_b * x exactly as a signed number, and
            // w_a * x = (A * x >>> 16) + bit 15: the correction term undoes the borrow a negative low
            // product takes from the high one. The odd K-th tap of each row has a multiplier of its own.
            localparam integer PAIRS = K / 2;
            reg [K*PAIRS*25-1:0] wpack;
            reg [K*PAIRS*33-1:0] pp;
            reg [K*PROD_W-1:0]   odd;
            integer pky, pi;
            always @(posedge aclk) begin
                for (pky = 0; pky < K; pky = pky + 1)
                    for (pi = 0; pi < PAIRS; pi = pi + 1)
                        wpack[(pky*PAIRS+pi)*25 +: 25] <= pack_pair(weights[(pky*K+2*pi)*P +: P],
                                                                    weights[(pky*K+2*pi+1)*P +: P]);
                if (en) begin
                    for (pky = 0; pky < K; pky = pky + 1) begin
                        for (pi = 0; pi < PAIRS; pi = pi + 1) begin
                            pp[(pky*PAIRS+pi)*33 +: 33] <= $signed(wpack[(pky*PAIRS+pi)*25 +: 25]) * $signed(colv[pky*P +: P]);
                            prod[(pky*K+2*pi)*PROD_W +: PROD_W]   <= pp[(pky*PAIRS+pi)*33+16 +: 16]
                                                                     + {15'd0, pp[(pky*PAIRS+pi)*33+15]};
                            prod[(pky*K+2*pi+1)*PROD_W +: PROD_W] <= pp[(pky*PAIRS+pi)*33 +: 16];
                        end
                        odd[pky*PROD_W +: PROD_W] <= $signed(colv[pky*P +: P]) * $signed(weights[(pky*K+K-1)*P +: P]);
                        prod[(pky*K+K-1)*PROD_W +: PROD_W] <= odd[pky*PROD_W +: PROD_W];
                    end
                end
            end

            function [24:0] pack_pair;
                input [7:0] hi;
                input [7:0] lo;
                begin
                    pack_pair = {hi[7], hi, 16'd0} + {{17{lo[7]}}, lo};
                end
            endfunction
        end else begin : g_one_per_dsp
            // int16: one DSP48E1 per product; int32: four (synthesis splits the 32 x 32 multiply).
            reg [KK*PROD_W-1:0] pm;
            integer mky, mj;
            always @(posedge aclk) begin
                if (en) begin
                    for (mky = 0; mky < K; mky = mky + 1)
                        for (mj = 0; mj < K; mj = mj + 1)
                            pm[(mky*K+mj)*PROD_W +: PROD_W] <= $signed(colv[mky*P +: P]) * $signed(weights[(mky*K+mj)*P +: P]);
                    prod <= pm;
                end
            end
        end
    endgenerate

    // Column sums: per tap j a pipelined adder tree over ky, padded to CP leaves (heap order, node n
    // has children 2n and 2n+1; the zero leaves are constants that synthesis removes).
    localparam integer CLEV = clog2(K);
    localparam integer CP   = 1 << CLEV;
    /* verilator lint_off UNUSEDSIGNAL */
    // Slot 0 of each tap's heap is never used.
    reg [K*2*CP*SUM_W-1:0] cnode;
    /* verilator lint_on UNUSEDSIGNAL */
    integer cj, cn;
    always @(posedge aclk) begin
        if (en) begin
            for (cj = 0; cj < K; cj = cj + 1) begin
                for (cn = 0; cn < K; cn = cn + 1)
                    cnode[(cj*2*CP+CP+cn)*SUM_W +: SUM_W] <= sext_prod(prod[(cn*K+cj)*PROD_W +: PROD_W]);
                for (cn = K; cn < CP; cn = cn + 1)
                    cnode[(cj*2*CP+CP+cn)*SUM_W +: SUM_W] <= {SUM_W{1'b0}};
                for (cn = 1; cn < CP; cn = cn + 1)
                    cnode[(cj*2*CP+cn)*SUM_W +: SUM_W] <= cnode[(cj*2*CP+2*cn)*SUM_W +: SUM_W]
                                                          + cnode[(cj*2*CP+2*cn+1)*SUM_W +: SUM_W];
            end
        end
    end

    function [SUM_W-1:0] sext_prod;
        input [PROD_W-1:0] value;
        begin
            sext_prod = {{(SUM_W-PROD_W+1){value[PROD_W-1]}}, value[PROD_W-2:0]};
        end
    endfunction

    // Pixel, output and last flags travel with the column products: m, m2, leaves, CLEV levels.
    localparam integer CDEPTH = 3 + CLEV;
    reg [CDEPTH-1:0] cp_pix, cp_out, cp_last;
    always @(posedge aclk) begin
        if (!aresetn) begin
            cp_pix <= {CDEPTH{1'b0}};
        end else if (en) begin
            cp_pix <= {cp_pix[CDEPTH-2:0], c_pix};
        end
        if (en) begin
            cp_out  <= {cp_out[CDEPTH-2:0], c_out};
            cp_last <= {cp_last[CDEPTH-2:0], c_last};
        end
    end

    // The chain steps once per pixel (bubbles from a starved input do not move it).
    wire              ch_step = cp_pix[CDEPTH-1];
    reg [K*SUM_W-1:0] chain;
    integer hj;
    always @(posedge aclk) begin
        if (en && ch_step) begin
            chain[0 +: SUM_W] <= cnode[SUM_W +: SUM_W];
            for (hj = 1; hj < K; hj = hj + 1)
                chain[hj*SUM_W +: SUM_W] <= chain[(hj-1)*SUM_W +: SUM_W] + cnode[(hj*2*CP+1)*SUM_W +: SUM_W];
        end
    end

    // Valid and last of each output after the chain: chain, bias, q1, q2, q3.
    localparam integer DEPTH = 5;
    reg [DEPTH-1:0] v_pipe, l_pipe;
    always @(posedge aclk) begin
        if (!aresetn) begin
            v_pipe <= {DEPTH{1'b0}};
        end else if (en) begin
            v_pipe <= {v_pipe[DEPTH-2:0], ch_step && cp_out[CDEPTH-1]};
        end
        if (en) l_pipe <= {l_pipe[DEPTH-2:0], cp_last[CDEPTH-1]};
    end

    // ------------------------------------------------------------------ bias, round, saturate
    wire signed [SUM_W-1:0] root     = chain[(K-1)*SUM_W +: SUM_W];
    wire signed [63:0]      root_ext;
    generate
        if (SUM_W < 64) begin : g_root_sext
            assign root_ext = {{(64-SUM_W){root[SUM_W-1]}}, root};
        end else begin : g_root_full
            assign root_ext = root;
        end
    endgenerate
    reg  signed [63:0]      acc, q_sh, q_r, z_val;
    reg                     q_rb;
    wire [5:0]              shm1 = cfg_shift - 6'd1;
    always @(posedge aclk) begin
        if (en) begin
            acc  <= root_ext + bias;                  // modulo 2^64
            // round_s(a) = (a >> s) + ((a >> (s-1)) & 1): exact, cannot wrap (docs/convolution.md)
            q_sh <= acc >>> cfg_shift;
            q_rb <= (cfg_shift != 6'd0) && acc[shm1];
            q_r  <= q_sh + {63'd0, q_rb};
            if (cfg_raw)           z_val <= q_r;      // raw: shift is 0, so q_r is acc itself
            else if (q_r > MAX_P)  z_val <= MAX_P;
            else if (q_r < MIN_P)  z_val <= MIN_P;
            else                   z_val <= q_r;
        end
    end

    // ------------------------------------------------------------------ packer
    // Requantized results are packed 64/P to a beat so the bytes land in memory exactly as the NCHW
    // output tensor; raw results are one Int64 per beat. Only the batch's last beat may be partial.
    wire z_valid = v_pipe[DEPTH-1];
    wire z_last  = l_pipe[DEPTH-1];
    reg  [LANE_W-1:0] o_lane;
    wire [3:0] o_used  = {{(4-LANE_W){1'b0}}, o_lane} + 4'd1;
    wire [3:0] o_bytes = o_used * BYTES[3:0];
    always @(posedge aclk) begin
        if (!aresetn) begin
            o_valid <= 1'b0;
            o_last  <= 1'b0;
            o_lane  <= {LANE_W{1'b0}};
            o_keep  <= 8'd0;
            out_done <= 1'b0;
        end else begin
            if (start) begin
                o_lane   <= {LANE_W{1'b0}};
                out_done <= 1'b0;
            end else if (o_valid && m_axis_tready && o_last) begin
                out_done <= 1'b1;
            end
            if (en) begin
                if (z_valid && cfg_raw) begin
                    o_data  <= z_val;
                    o_keep  <= 8'hFF;
                    o_last  <= z_last;
                    o_valid <= 1'b1;
                end else if (z_valid) begin
                    if (o_lane == {LANE_W{1'b0}})
                        o_data <= {{(64-P){1'b0}}, z_val[P-1:0]};
                    else
                        o_data[o_lane*P +: P] <= z_val[P-1:0];
                    if (o_lane == LANES[LANE_W-1:0] - 1'b1 || z_last) begin
                        o_valid <= 1'b1;
                        o_keep  <= 8'hFF >> (4'd8 - o_bytes);
                        o_last  <= z_last;
                        o_lane  <= {LANE_W{1'b0}};
                    end else begin
                        o_valid <= 1'b0;
                        o_lane  <= o_lane + 1'b1;
                    end
                end else begin
                    o_valid <= 1'b0;
                end
            end
        end
    end
endmodule
`default_nettype wire
