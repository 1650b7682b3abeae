// Convolution reconfigurable module: a KxK multi-channel 2D convolution at P-bit precision, exactly
// docs/convolution.md (zero padding, stride 1/2, 64-bit wrapping accumulation, Int64 bias, round-half-up
// shift, saturation, raw 64-bit accumulator mode), for CIN input channels and a group of COUT <= PO
// output channels per pass.
//
// Data path (one input slot per clock, see docs/hardware.md, "Data path"):
//   weights: AXI4-Stream (CTRL.LOAD_WEIGHTS) -> one weight-memory word per chunk of PI input channels
//   input:   AXI4-Stream (64-bit beats, NHWC elements) -> unpacker (up to PI elements per clock)
//   -> scan over the padded grid: per image column ceil(CIN/PI) chunk slots, per padding column one
//      slot, top padding rows skipped (they end no window)
//   -> line buffer (one word per image column and chunk holds the K-1 rows above for PI channels)
//   -> the pixel column of PI channels (K x PI values) and the chunk's weights
//   -> PO x PI x K x K products (int8: two output channels share a DSP48E1)
//   -> per output channel and tap column an adder tree over PI x K products
//   -> transposed chain over the K columns, accumulating every chunk of a column: on-chip sum over CIN
//   -> serializer (COUT results per output pixel, one per clock) -> + bias -> round/shift -> saturate
//      (or raw) -> packer -> AXI4-Stream out (64-bit beats, NHWC within the group).
// The front end advances on en, low only while a finished pixel waits for the serializer; the back
// end on be, low only while the output beat waits for TREADY.
//
// Every variant has the same ports, so all six can be reconfigurable modules of one partition.
`timescale 1ns / 1ps
`default_nettype none
`include "conv_regs.vh"
module conv_rm #(
    parameter integer K        = 3,     // kernel size: 3 or 5
    parameter integer P        = 8,     // precision in bits: 8, 16 or 32
    // Input and output channels computed in parallel: sized so PI x PO x K x K products fit the
    // partition's 80 DSP48E1 (docs/hardware.md, "Parallelism").
    parameter integer PI       = (K == 3) ? ((P == 8) ? 4 : 1) : ((P == 8) ? 3 : 1),
    parameter integer PO       = (K == 3) ? ((P == 8) ? 4 : (P == 16) ? 8 : 6) : ((P == 8) ? 2 : (P == 16) ? 3 : 4),
    // Stride-2 front end (conv3x3_int16 and conv3x3_int32): at stride 2 the input rows are written into
    // a ring of row slots at the full beat and only the kept windows are computed, two columns a step
    // (see "stride-2 front end" below); 0: stride 2 computes every position and drops three of four.
    parameter integer S2F      = (K == 3 && P != 8) ? 1 : 0,
    // Kernel rows per clock: K (a whole pixel column a clock) or 1 (one row a clock, K clocks a column).
    // int32 takes a row a clock: a whole 5x5 window of int32 products is 100 DSP48E1, over the 80, and
    // 3x3 takes six output channels of one row (18 products, 72 DSP48E1) so that stride 2 can pass 50%.
    parameter integer KR       = (P == 32) ? 1 : K,
    parameter integer MAX_CIN  = 256,
    parameter integer LB_DEPTH = 2048 - (K - 1)   // line-buffer words: IMG_W x ceil(CIN/PI) at most
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
    // AXI4-Stream input from the DMA (MM2S): weights after LOAD_WEIGHTS, the input after START
    input  wire [63:0] s_axis_tdata,
    /* verilator lint_off UNUSEDSIGNAL */
    // Element counts come from the registers; TLAST only stops the unpacker from reading ahead into
    // the next transfer, and TKEEP carries nothing the core needs.
    input  wire [7:0]  s_axis_tkeep,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire        s_axis_tlast,
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
    localparam integer AW     = clog2(LB_DEPTH);
    localparam integer WQ     = (MAX_CIN + PI - 1) / PI;     // weight-memory words (chunks)
    localparam integer QW     = clog2(WQ + 1);              // chunk index and count
    localparam integer WW     = PO * PI * KK * P;           // stream weight word: lane ((po*PI+pi)*KK + t)
    localparam integer BPW    = (WW + 63) / 64;             // stream beats per weight word
    localparam integer SUBS   = K / KR;                     // clocks per chunk of an image column: 1 or K
    localparam integer RK     = KR * K;                     // taps used per clock
    localparam integer WMW    = PO * PI * RK * P;           // weight-memory word: lane ((po*PI+pi)*RK + ky*K + kx)
    localparam integer WMA    = clog2(WQ * SUBS);           // weight-memory address: chunk x SUBS + row
    localparam integer NL     = PI * KR;                    // leaves of one column sum
    localparam integer CLEV   = clog2(NL);
    localparam integer CP     = 1 << CLEV;
    localparam integer PROD_W = 2 * P;
    // Column sums are exact; the chain holds CIN x K x K products (wrapping at 64 bits for int32, as
    // docs/convolution.md defines).
    localparam integer TW     = (PROD_W + CLEV > 64) ? 64 : PROD_W + CLEV;
    localparam integer CW     = (PROD_W + clog2(MAX_CIN * KK) + 1 > 64) ? 64 : PROD_W + clog2(MAX_CIN * KK) + 1;
    localparam integer PO_W   = clog2(PO + 1);
    localparam integer UW     = 5;                          // unpacker fill, 0 .. 2 x LANES elements
    localparam [PO_W-1:0] ONE     = 1;
    localparam [31:0]  ID_VALUE   = {`CONV_ID_MAGIC, K[7:0], P[7:0]};
    localparam [15:0]  MAX_WIDTH  = LB_DEPTH[15:0];
    localparam [7:0]   ROW_CLOCKS = SUBS[7:0];
    localparam [0:0]   STRIDE2_ROWS = S2F[0:0];
    localparam [31:0]  CAPS2_VALUE = {MAX_CIN[15:0], PO[7:0], PI[7:0]};
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

    reg [15:0]     img_w, img_h, cin;
    reg [7:0]      cout;
    reg [31:0]     frames;
    reg [1:0]      cfg_stride;
    reg            cfg_pad_same, cfg_raw;
    reg [5:0]      cfg_shift;
    reg [PO*64-1:0] bias;
    reg            ie, busy, loading, done_flag, err_flag;
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

    // a x b by shifts and adds: a `*` here would take a DSP48E1 of the partition's 80 (conv5x5_int32's
    // products use all of them).
    function [31:0] times;
        input [15:0]   a;
        input [QW-1:0] b;
        integer i;
        begin
            times = 32'd0;
            for (i = 0; i < QW; i = i + 1)
                if (b[i]) times = times + ({16'd0, a} << i);
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
    // Chunks of PI input channels per pixel, and the channels of the last chunk.
    // Above bit QW-1 only for a CIN over MAX_CIN, which chans_ok refuses.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] nq_cfg   = (cin + PI[15:0] - 16'd1) / PI[15:0];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [3:0]  last_cfg = cin[3:0] - (nq_cfg[3:0] - 4'd1) * PI[3:0];   // 1 .. PI, exact modulo 16
    wire [31:0] lb_need  = times(img_w, nq_cfg[QW-1:0]);
    wire        chans_ok = (cin != 16'd0) && (cin <= MAX_CIN[15:0]) && (cout != 8'd0) && (cout <= PO[7:0]);
    wire        cfg_ok = (img_w != 16'd0) && (img_h != 16'd0) && (frames != 32'd0) && chans_ok
                         && (cfg_stride == 2'd1 || s2) && (!cfg_raw || cfg_shift == 6'd0)
                         && fits && (lb_need <= LB_DEPTH);

    wire ctrl_wr    = wr_en && wr_addr == `CONV_REG_CTRL && wr_strb[0] && !busy;
    wire start_req  = ctrl_wr && wr_data[`CONV_CTRL_START_LSB];
    wire load_req   = ctrl_wr && !wr_data[`CONV_CTRL_START_LSB] && wr_data[`CONV_CTRL_LOAD_WEIGHTS_LSB];
    wire start      = start_req && cfg_ok;
    wire load       = load_req && chans_ok;
    wire cfg_write  = wr_en && !busy;

    wire [11:0] weight_off = wr_addr - `CONV_REG_WEIGHT_BASE;
    wire [11:0] bias_off   = wr_addr - `CONV_REG_BIAS_BASE;

    // Set by the core and used by the register block: declared before use below.
    reg scanning, out_done, fe_busy, load_last;
    wire s2f_busy;      // the stride-2 front end has rows to write or windows to compute

    integer bi;
    always @(posedge aclk) begin
        if (!aresetn) begin
            img_w        <= 16'd0;
            img_h        <= 16'd0;
            cin          <= 16'd1;
            cout         <= 8'd1;
            frames       <= 32'd1;
            cfg_stride   <= 2'd1;
            cfg_pad_same <= 1'b0;
            cfg_raw      <= 1'b0;
            cfg_shift    <= 6'd0;
            bias         <= {PO*64{1'b0}};
            ie           <= 1'b0;
            busy         <= 1'b0;
            loading      <= 1'b0;
            done_flag    <= 1'b0;
            err_flag     <= 1'b0;
            cycles       <= 32'd0;
        end else begin
            if (busy) cycles <= cycles + 32'd1;
            if (cfg_write) begin
                case (wr_addr)
                    `CONV_REG_IMG_W:   img_w <= merge16(img_w, wr_data[15:0], wr_strb[1:0]);
                    `CONV_REG_IMG_H:   img_h <= merge16(img_h, wr_data[15:0], wr_strb[1:0]);
                    `CONV_REG_CIN:     cin <= merge16(cin, wr_data[15:0], wr_strb[1:0]);
                    `CONV_REG_COUT:    if (wr_strb[0]) cout <= wr_data[7:0];
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
                        // BIAS array: channel c of the group at BIAS + 8c (low word) and + 8c + 4 (high).
                        for (bi = 0; bi < 2 * PO; bi = bi + 1)
                            if ({20'd0, bias_off} == bi * `CONV_BIAS_STRIDE)
                                bias[bi*32 +: 32] <= merge(bias[bi*32 +: 32], wr_data, wr_strb);
                    end
                endcase
            end
            if (wr_en && wr_addr == `CONV_REG_IER && wr_strb[0])
                ie <= wr_data[`CONV_IER_DONE_LSB];
            if (wr_en && wr_addr == `CONV_REG_STATUS && wr_strb[0]) begin
                if (wr_data[`CONV_STATUS_DONE_LSB]) done_flag <= 1'b0;
                if (wr_data[`CONV_STATUS_ERROR_LSB]) err_flag <= 1'b0;
            end
            if (start_req || load_req) begin
                // A start with a configuration outside docs/convolution.md is refused, not run.
                done_flag <= 1'b0;
                err_flag  <= start_req ? !cfg_ok : !chans_ok;
                busy      <= start || load;
                loading   <= load;
                cycles    <= 32'd0;
            end else if (busy && loading && load_last) begin
                busy      <= 1'b0;
                loading   <= 1'b0;
                done_flag <= 1'b1;
            end else if (busy && !loading && out_done && !scanning && !fe_busy && !s2f_busy) begin
                busy      <= 1'b0;
                done_flag <= 1'b1;
            end
        end
    end

    always @(*) begin
        rd_data = 32'd0;
        case (rd_addr)
            `CONV_REG_ID:      rd_data = ID_VALUE;
            `CONV_REG_VERSION: rd_data = `CONV_VERSION_VALUE;
            `CONV_REG_CAPS:    rd_data = {7'd0, STRIDE2_ROWS, ROW_CLOCKS, MAX_WIDTH};
            `CONV_REG_CAPS2:   rd_data = CAPS2_VALUE;
            `CONV_REG_STATUS:  rd_data = {29'd0, err_flag, done_flag, busy};
            `CONV_REG_IER:     rd_data = {31'd0, ie};
            `CONV_REG_IMG_W:   rd_data = {16'd0, img_w};
            `CONV_REG_IMG_H:   rd_data = {16'd0, img_h};
            `CONV_REG_CIN:     rd_data = {16'd0, cin};
            `CONV_REG_COUT:    rd_data = {24'd0, cout};
            `CONV_REG_FRAMES:  rd_data = frames;
            `CONV_REG_CONFIG:  rd_data = {10'd0, cfg_shift, 7'd0, cfg_raw, 3'd0, cfg_pad_same, 2'd0, cfg_stride};
            `CONV_REG_BIAS_LO: rd_data = bias[31:0];
            `CONV_REG_BIAS_HI: rd_data = bias[63:32];
            `CONV_REG_OUT_W:   rd_data = {14'd0, out_w};
            `CONV_REG_OUT_H:   rd_data = {14'd0, out_h};
            `CONV_REG_CYCLES:  rd_data = cycles;
            default:           rd_data = 32'd0;
        endcase
    end

    assign irq = ie && done_flag;

    // ------------------------------------------------------------------ geometry latched at start
    reg [17:0]   wv_q, hv_q;
    reg [17:0]   r_lo, r_hi, c_lo, c_hi;      // the image inside the padded grid
    reg [17:0]   r_out_last, c_out_last;      // where the last output window ends
    reg [31:0]   last_frame;
    reg          s2_q, s2f_q;     // s2f_q: stride 2 through the stride-2 front end
    reg [QW-1:0] nq_q;
    reg [3:0]    last_n;
    reg [PO_W-1:0] cout_q;
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
            s2f_q      <= (S2F != 0) && s2;
            nq_q       <= nq_cfg[QW-1:0];
            last_n     <= last_cfg;
            cout_q     <= cout[PO_W-1:0];
        end else if (load) begin
            nq_q       <= nq_cfg[QW-1:0];
        end
    end

    // ------------------------------------------------------------------ enables
    reg  [63:0] o_data;
    reg  [7:0]  o_keep;
    reg         o_valid, o_last;
    wire        be = !o_valid || m_axis_tready;         // back end: the packer can take an element
    reg  [PO_W-1:0] ser_cnt;
    reg         ch_done;                                // a finished pixel waits in the chain
    wire        ser_load = ch_done && (ser_cnt == {PO_W{1'b0}} || (ser_cnt == ONE && be));
    wire        en = !ch_done || ser_load;              // front end
    assign m_axis_tdata  = o_data;
    assign m_axis_tkeep  = o_keep;
    assign m_axis_tlast  = o_last;
    assign m_axis_tvalid = o_valid;

    // ------------------------------------------------------------------ weight loading
    // The stream carries ceil(CIN/PI) weight words, each BPW beats (little endian, the last one padded):
    // lane ((po*PI + pi)*K*K + ky*K + kx) of word q is w[po][q*PI + pi][ky][kx] (zero where the
    // channel does not exist). The driver lays them out (docs/register-map.md, "Weight upload").
    // Every variant's word is several beats (BPW >= 9): wsr holds the word's earlier beats.
    reg  [(BPW-1)*64-1:0] wsr;
    reg  [clog2(BPW+1)-1:0] wbeat;
    reg  [QW-1:0]     wword;
    wire              w_take = loading && !load_last && s_axis_tvalid;
    wire [BPW*64-1:0] wsr_next = {s_axis_tdata, wsr};
    wire w_word_done = w_take && (wbeat == BPW[clog2(BPW+1)-1:0] - 1'b1);
    // A weight-memory write: w_put of w_put_data at w_put_addr, w_put_final on the upload's last one.
    wire             w_put, w_put_final;
    wire [WMA-1:0]   w_put_addr;
    wire [WMW-1:0]   w_put_data;
    generate
        if (SUBS == 1) begin : g_w_word
            // A memory word is a stream word: stored as its last beat arrives.
            assign w_put       = w_word_done;
            assign w_put_addr  = wword[WMA-1:0];
            assign w_put_data  = wsr_next[WW-1:0];
            assign w_put_final = (wword + 1'b1 == nq_q);
        end else begin : g_w_rows
            // A memory word is one kernel row of a stream word: the word is held in wrow and stored a row
            // a clock, K clocks, while the next word streams in (BPW >= K beats).
            reg [WW-1:0]  wrow;
            reg [2:0]     wrk;
            reg           wrow_on;
            reg [WMA-1:0] wwa;
            always @(posedge aclk) begin
                if (!aresetn || load) begin
                    wrow_on <= 1'b0;
                    wrk     <= 3'd0;
                    wwa     <= {WMA{1'b0}};
                end else begin
                    if (w_word_done) begin
                        wrow    <= wsr_next[WW-1:0];
                        wrow_on <= 1'b1;
                    end else if (wrow_on && wrk == SUBS[2:0] - 3'd1) begin
                        wrow_on <= 1'b0;
                    end
                    if (wrow_on) begin
                        wrk <= (wrk == SUBS[2:0] - 3'd1) ? 3'd0 : wrk + 3'd1;
                        wwa <= wwa + 1'b1;
                    end
                end
            end
            // Row wrk of the held word, by constant part-selects (an index times K·P would be a multiply).
            reg [WMW-1:0] row_data;
            integer rk, rl, rx;
            always @(*) begin
                row_data = {WMW{1'b0}};
                for (rk = 0; rk < K; rk = rk + 1)
                    if (wrk == rk[2:0])
                        for (rl = 0; rl < PO * PI; rl = rl + 1)
                            for (rx = 0; rx < K; rx = rx + 1)
                                row_data[(rl*K + rx)*P +: P] = wrow[(rl*KK + rk*K + rx)*P +: P];
            end
            assign w_put       = wrow_on;
            assign w_put_addr  = wwa;
            assign w_put_data  = row_data;
            assign w_put_final = (wrk == SUBS[2:0] - 3'd1) && (wword == nq_q);
        end
    endgenerate
    always @(posedge aclk) begin
        if (!aresetn || load) begin
            wbeat     <= 0;
            wword     <= {QW{1'b0}};
            load_last <= 1'b0;
        end else begin
            load_last <= w_put && w_put_final;
            if (w_take) begin
                wsr <= wsr_next[BPW*64-1:64];
                if (w_word_done) begin
                    wbeat <= 0;
                    wword <= wword + 1'b1;
                end else begin
                    wbeat <= wbeat + 1'b1;
                end
            end
        end
    end

    // The weight memory: ceil(MAX_CIN/PI) x SUBS words from the stream, or the taps of channel (0, 0)
    // through the WEIGHT registers (the single-channel form of register map 1.0: CIN = COUT = 1). One
    // write port of whole words, so synthesis maps it to block RAM: the WEIGHT taps are kept in w1 and a
    // WEIGHT write stores the kernel row (or window) it falls in.
    localparam integer WDEPTH = WQ * SUBS;
    reg [WMW-1:0] wmem [0:WDEPTH-1];
    integer wi;
    initial for (wi = 0; wi < WDEPTH; wi = wi + 1) wmem[wi] = {WMW{1'b0}};
    reg  [WMA-1:0]  p_q;
    reg  [WMW-1:0]  wq_c;
    reg  [KK*P-1:0] w1;
    initial w1 = {KK*P{1'b0}};
    wire [4:0]      wt_tap  = weight_off[6:2];
    wire            wt_ok   = cfg_write && weight_off[11:7] == 5'd0 && weight_off[1:0] == 2'b00
                              && wt_tap < KK[4:0] && wr_strb == 4'hF;
    wire [4:0]      wt_word = wt_tap / RK[4:0];
    reg  [KK*P-1:0] w1_next;
    always @(*) begin
        w1_next = w1;
        w1_next[wt_tap*P +: P] = wr_data[P-1:0];
    end
    // The word's taps by constant part-selects: an index times RK·P here would be a multiply (a DSP48E1).
    reg  [RK*P-1:0] wt_row;
    integer wr;
    always @(*) begin
        wt_row = w1_next[RK*P-1:0];
        for (wr = 1; wr < KK / RK; wr = wr + 1)
            if (wt_word == wr[4:0]) wt_row = w1_next[wr*RK*P +: RK*P];
    end
    wire [WMA-1:0]  wm_addr = w_put ? w_put_addr : {{(WMA-5){1'b0}}, wt_word};
    wire [WMW-1:0]  wm_data = w_put ? w_put_data : {{(WMW-RK*P){1'b0}}, wt_row};
    always @(posedge aclk) begin
        if (wt_ok && !w_put) w1 <= w1_next;
        if (w_put || wt_ok) wmem[wm_addr] <= wm_data;
        if (en) wq_c <= wmem[p_q];
    end

    // ------------------------------------------------------------------ unpacker
    // Holds up to two beats; a slot takes up to PI elements, a beat is taken whenever one fits.
    reg  [127:0]  ub;
    reg  [UW-1:0] ucnt;
    reg           u_end;
    reg  [17:0]   sr, sc;
    reg  [QW-1:0] sq;
    reg  [2:0]    sk;                                   // kernel row of the chunk (SUBS > 1), else 0
    reg  [WMA-1:0] sw;                                  // weight-memory word of the slot: sq x SUBS + sk
    reg  [31:0]   sf;
    wire          pad_col  = (sc < c_lo) || (sc > c_hi);
    wire          img_row  = (sr <= r_hi);
    wire          lb_slot  = !pad_col;                 // image column: line buffer used
    wire          in_img   = img_row && !pad_col;      // takes input elements
    wire          sub0     = (sk == 3'd0);             // a chunk's first clock reads its elements
    wire          sub_last = pad_col || (sk == SUBS[2:0] - 3'd1);
    wire          q_end    = (sq == nq_q - 1'b1);
    wire          q_last   = pad_col || (q_end && sub_last);
    wire [3:0]    n_need   = (!in_img || !sub0) ? 4'd0 : q_end ? last_n : PI[3:0];
    wire          push     = scanning && en && (ucnt >= {1'b0, n_need});
    // The stride-2 front end's row writer takes n_w elements (one row-slot word) on w_push.
    wire          w_on, w_push;
    wire [3:0]    n_w;
    wire [3:0]    n_take   = push ? n_need : w_push ? n_w : 4'd0;
    wire [UW-1:0] ucnt_after = ucnt - {1'b0, n_take};
    wire          u_take   = (scanning || w_on) && !u_end && s_axis_tvalid && ucnt_after <= LANES[UW-1:0];
    assign s_axis_tready = u_take || w_take;
    wire [127:0]  ub_shift = ub >> (n_take * P);
    wire [127:0]  ub_in    = {64'd0, s_axis_tdata} << (ucnt_after * P);

    wire          row_end  = (sc == wv_q - 18'd1);
    wire          col_end  = (sr == hv_q - 18'd1);
    wire          last_f   = (sf == last_frame);
    // Window rows r-K+1..r and columns c-K+1..c; for stride 2 the first row/column K-1 is even.
    localparam integer K1_I = K - 1;
    localparam [17:0] K1   = K1_I[17:0];
    wire          is_out   = (sr >= K1) && (sc >= K1) && (!s2_q || (!sr[0] && !sc[0]));
    wire          is_last  = last_f && (sr == r_out_last) && (sc == c_out_last);
    reg  [AW-1:0] la;                                   // line-buffer address of this row's slot
    always @(posedge aclk) begin
        if (!aresetn) begin
            scanning <= 1'b0;
            ucnt     <= {UW{1'b0}};
            u_end    <= 1'b0;
        end else if (start) begin
            // The buffer's bits above its fill stay zero, so a beat can be ORed in at the fill.
            ub       <= 128'd0;
            scanning <= !((S2F != 0) && s2);
            ucnt     <= {UW{1'b0}};
            u_end    <= 1'b0;
            sr       <= {15'd0, pad_n};                 // top padding rows end no window: skipped
            sc       <= 18'd0;
            sq       <= {QW{1'b0}};
            sk       <= 3'd0;
            sw       <= {WMA{1'b0}};
            sf       <= 32'd0;
            la       <= {AW{1'b0}};
        end else begin
            ub   <= ub_shift | (u_take ? ub_in : 128'd0);
            ucnt <= ucnt_after + (u_take ? LANES[UW-1:0] : {UW{1'b0}});
            if (u_take && s_axis_tlast) u_end <= 1'b1;
            if (push) begin
                if (lb_slot && sub_last) la <= la + 1'b1;
                sw <= q_last ? {WMA{1'b0}} : sw + 1'b1;
                if (!sub_last) begin
                    sk <= sk + 3'd1;
                end else if (!q_last) begin
                    sk <= 3'd0;
                    sq <= sq + 1'b1;
                end else begin
                    sk <= 3'd0;
                    sq <= {QW{1'b0}};
                    if (row_end) begin
                        sc <= 18'd0;
                        la <= {AW{1'b0}};
                        if (col_end) begin
                            sr <= r_lo;
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
    end

    // ------------------------------------------------------------------ stride-2 front end
    // At stride 2 (S2F variants) the scan above stays idle. A row writer takes the input at the full
    // beat (up to 64/P elements a clock, one word of a column's channels) into a ring of SLOTS row slots,
    // each two memories: the padded grid's odd and even columns. A window reader computes only the kept
    // windows: output row i reads the K rows 2i .. 2i+K-1 of the padded grid, a pair step p the odd
    // column 2p-1 and the even column 2p, one input channel a clock (PI = 1): taps of odd kx take the odd
    // column, taps of even kx the even one, and the chain (below) joins the steps into windows. The
    // writer runs ahead of the reader by at most SLOTS - K + 1 rows (it writes row 2i+K while row i is
    // computed); the reader waits until its K rows are written. Rows and padding columns outside the
    // image read as zero. A slot memory holds ceil(W/2) columns x ceil(CIN/(64/P)) words; with
    // W x CIN <= LB_DEPTH (the scan's line-buffer check, PI = 1) that is under (LB_DEPTH + K - 1) / 2.
    wire               r_issue, rp_valid, rp_first, rp_out, rp_last;
    wire [WMA-1:0]     r_wq;           // weight-memory word of the issued channel
    wire [KR*PI*P-1:0] s2_even, s2_odd; // rows 0 .. K-1 of the step's even and odd column (stage p)
    generate
        if (S2F != 0) begin : g_s2f
            localparam integer G      = LANES;                    // channels a slot word holds
            localparam integer EW     = clog2(G);
            localparam integer QG     = clog2(MAX_CIN / G + 1);
            localparam integer SLOTS  = (K == 3) ? 4 : 8;         // a power of two over K
            localparam integer SB     = clog2(SLOTS);
            localparam integer SDEPTH = (LB_DEPTH + K - 1) / 2;
            localparam integer SAW    = clog2(SDEPTH);
            localparam integer PSTEP0_I = (K - 1) / 2;
            localparam [17:0]  PSTEP0 = PSTEP0_I[17:0];            // first step that ends a window
            // PI = 1: this front end feeds one input channel a clock.
            wire [17:0]   pad18   = {15'd0, pad_n};
            wire [17:0]   h18     = {2'b0, img_h};
            wire [17:0]   w18     = {2'b0, img_w};
            /* verilator lint_off UNUSEDSIGNAL */
            wire [15:0]   nqg16   = (cin + G[15:0] - 16'd1) >> EW;
            /* verilator lint_on UNUSEDSIGNAL */
            wire [QG-1:0] nqg     = nqg16[QG-1:0];
            wire [EW-1:0] lastg_m1 = cin[EW-1:0] - 1'b1;          // channels of the last word, less 1
            wire [17:0]   p_last  = PSTEP0 + out_w - 18'd1;
            wire [17:0]   top_last = (out_h - 18'd1) << 1;

            // ---- row writer
            reg           w_on_r;
            reg [15:0]    wx, wy;
            reg [QG-1:0]  wg;
            reg [31:0]    wf, w_row;
            reg [SAW-1:0] wa0, wa1;
            wire          wpar    = wx[0] ^ pad_n[0];             // parity of the padded column
            wire          w_gend  = (wg == nqg - 1'b1);
            wire [31:0]   r_low_g;
            reg           r_on_r;
            wire [31:0]   w_ahead = w_row - r_low_g;
            wire          w_room  = !r_on_r || (w_ahead < SLOTS);
            assign n_w    = w_gend ? {{(3-EW){1'b0}}, 1'b0, lastg_m1} + 4'd1 : G[3:0];
            assign w_push = w_on_r && w_room && (ucnt >= {1'b0, n_w});
            assign w_on   = w_on_r;
            always @(posedge aclk) begin
                if (!aresetn) begin
                    w_on_r <= 1'b0;
                end else if (start) begin
                    w_on_r <= s2;
                    wx     <= 16'd0;
                    wy     <= 16'd0;
                    wg     <= {QG{1'b0}};
                    wf     <= 32'd0;
                    w_row  <= 32'd0;
                    wa0    <= {SAW{1'b0}};
                    wa1    <= {SAW{1'b0}};
                end else if (w_push) begin
                    if (wpar) wa1 <= wa1 + 1'b1;
                    else      wa0 <= wa0 + 1'b1;
                    wg <= w_gend ? {QG{1'b0}} : wg + 1'b1;
                    if (w_gend) begin
                        if (wx != img_w - 16'd1) begin
                            wx <= wx + 16'd1;
                        end else begin
                            wx    <= 16'd0;
                            wa0   <= {SAW{1'b0}};
                            wa1   <= {SAW{1'b0}};
                            w_row <= w_row + 32'd1;
                            if (wy != img_h - 16'd1) begin
                                wy <= wy + 16'd1;
                            end else begin
                                wy <= 16'd0;
                                if (wf == last_frame) w_on_r <= 1'b0;
                                else wf <= wf + 32'd1;
                            end
                        end
                    end
                end
            end

            // ---- window reader
            reg [17:0]    r_top, r_pp;        // padded row of the windows' top row (2i); pair step p
            reg [QG-1:0]  r_g;
            reg [EW-1:0]  r_e;
            reg [2:0]     r_sk;               // kernel row of the clock (SUBS > 1), else 0
            reg [WMA:0]   r_qc;               // clock of the step: its weight-memory word
            reg [31:0]    r_fb, rf;           // global row of the frame's first image row; frame
            reg [SAW-1:0] rb_o, rb_e;         // first word of the step's odd and even column
            wire [17:0]   low_rel = (r_top >= pad18) ? r_top - pad18 : 18'd0;
            wire [17:0]   hi_pad  = r_top + K1 - pad18;
            wire [17:0]   hi_rel  = (hi_pad >= h18) ? h18 - 18'd1 : hi_pad;
            assign r_low_g = r_fb + {14'd0, low_rel};
            wire          r_ready = (w_row > r_fb + {14'd0, hi_rel});
            assign r_issue = r_on_r && en && r_ready;
            wire [17:0]   c_e     = {r_pp[16:0], 1'b0};
            wire [17:0]   c_o     = c_e - 18'd1;
            wire          ok_o    = (r_pp != 18'd0) && (c_o >= pad18) && (c_o < w18 + pad18);
            wire          ok_e    = (c_e >= pad18) && (c_e < w18 + pad18);
            wire          r_gl    = (r_g == nqg - 1'b1);
            wire          r_wend  = (r_e == (r_gl ? lastg_m1 : G[EW-1:0] - 1'b1));
            wire          r_sklast = (r_sk == SUBS[2:0] - 3'd1);
            wire          r_cend  = r_gl && r_wend && r_sklast;
            wire          r_pend  = (r_pp == p_last);
            wire          r_tend  = (r_top == top_last);
            wire [SAW-1:0] ra_o   = rb_o + {{(SAW-QG){1'b0}}, r_g};
            wire [SAW-1:0] ra_e   = rb_e + {{(SAW-QG){1'b0}}, r_g};
            assign r_wq = r_qc[WMA-1:0];
            always @(posedge aclk) begin
                if (!aresetn) begin
                    r_on_r <= 1'b0;
                end else if (start) begin
                    r_on_r <= s2;
                    r_top  <= 18'd0;
                    r_pp   <= 18'd0;
                    r_g    <= {QG{1'b0}};
                    r_e    <= {EW{1'b0}};
                    r_sk   <= 3'd0;
                    r_qc   <= {(WMA+1){1'b0}};
                    r_fb   <= 32'd0;
                    rf     <= 32'd0;
                    rb_o   <= {SAW{1'b0}};
                    rb_e   <= {SAW{1'b0}};
                end else if (r_issue) begin
                    r_qc <= r_qc + 1'b1;
                    r_sk <= r_sklast ? 3'd0 : r_sk + 3'd1;
                    if (r_sklast && r_wend) begin
                        r_e <= {EW{1'b0}};
                        r_g <= r_g + 1'b1;
                    end else if (r_sklast) begin
                        r_e <= r_e + 1'b1;
                    end
                    if (r_cend) begin
                        r_g  <= {QG{1'b0}};
                        r_qc <= {(WMA+1){1'b0}};
                        if (!r_pend) begin
                            r_pp <= r_pp + 18'd1;
                            if (ok_o) rb_o <= rb_o + {{(SAW-QG){1'b0}}, nqg};
                            if (ok_e) rb_e <= rb_e + {{(SAW-QG){1'b0}}, nqg};
                        end else begin
                            r_pp <= 18'd0;
                            rb_o <= {SAW{1'b0}};
                            rb_e <= {SAW{1'b0}};
                            if (!r_tend) begin
                                r_top <= r_top + 18'd2;
                            end else begin
                                r_top <= 18'd0;
                                r_fb  <= r_fb + {16'd0, img_h};
                                if (rf == last_frame) r_on_r <= 1'b0;
                                else rf <= rf + 32'd1;
                            end
                        end
                    end
                end
            end

            // ---- stage p: the slot words of the step's two columns, and what the clock computes
            reg           rp_valid_r, rp_first_r, rp_out_r, rp_last_r, rp_ok_o, rp_ok_e;
            reg [EW-1:0]  rp_e;
            reg [2:0]     rp_sk;
            reg [K-1:0]   rp_rows;
            reg [K*SB-1:0] rp_slot;
            wire [2*SLOTS*64-1:0] rd;
            // Row ky of the windows: inside the image, and its slot (global image row modulo SLOTS).
            wire [K-1:0]   row_in;
            wire [K*SB-1:0] row_slot;
            genvar gy;
            for (gy = 0; gy < K; gy = gy + 1) begin : g_rows
                localparam [17:0] GY = gy;
                assign row_in[gy] = (r_top + GY >= pad18) && (r_top + GY < h18 + pad18);
                assign row_slot[gy*SB +: SB] = r_fb[SB-1:0] + r_top[SB-1:0] + GY[SB-1:0] - pad18[SB-1:0];
            end
            always @(posedge aclk) begin
                if (!aresetn) begin
                    rp_valid_r <= 1'b0;
                end else if (en) begin
                    rp_valid_r <= r_issue;
                end
                if (r_issue) begin
                    rp_first_r <= (r_qc == {(WMA+1){1'b0}});
                    rp_out_r   <= r_cend && (r_pp >= PSTEP0);
                    rp_last_r  <= r_cend && r_pend && r_tend && (rf == last_frame);
                    rp_ok_o    <= ok_o;
                    rp_ok_e    <= ok_e;
                    rp_e       <= r_e;
                    rp_sk      <= r_sk;
                    rp_rows    <= row_in;
                    rp_slot    <= row_slot;
                end
            end
            genvar gs;
            for (gs = 0; gs < 2 * SLOTS; gs = gs + 1) begin : g_mem
                localparam integer  SLOT_I = gs / 2;
                localparam integer  ODD_I  = gs % 2;
                localparam [SB-1:0] SLOT   = SLOT_I[SB-1:0];
                localparam [0:0]    ODD    = ODD_I[0:0];
                reg [63:0] mem [0:SDEPTH-1];
                reg [63:0] rdw;
                always @(posedge aclk) begin
                    if (w_push && w_row[SB-1:0] == SLOT && wpar == ODD) mem[wpar ? wa1 : wa0] <= ub[63:0];
                    if (r_issue) rdw <= mem[ODD ? ra_o : ra_e];
                end
                assign rd[gs*64 +: 64] = rdw;
            end
            assign rp_valid = rp_valid_r;
            assign rp_first = rp_first_r;
            assign rp_out   = rp_out_r;
            assign rp_last  = rp_last_r;
            assign s2f_busy = w_on_r || r_on_r || rp_valid_r;

            // Element rp_e of row ky's slot word, zero outside the image.
            reg [K*P-1:0] ev, ov;
            integer sy, ss, se;
            always @(*) begin
                ev = {K*P{1'b0}};
                ov = {K*P{1'b0}};
                for (sy = 0; sy < K; sy = sy + 1)
                    for (ss = 0; ss < SLOTS; ss = ss + 1)
                        for (se = 0; se < G; se = se + 1)
                            if (rp_rows[sy] && rp_slot[sy*SB +: SB] == ss[SB-1:0] && rp_e == se[EW-1:0]) begin
                                if (rp_ok_e) ev[sy*P +: P] = rd[(2*ss)*64 + se*P +: P];
                                if (rp_ok_o) ov[sy*P +: P] = rd[(2*ss+1)*64 + se*P +: P];
                            end
            end
            // The KR rows of the clock: all K, or kernel row rp_sk.
            reg [KR*P-1:0] evr, ovr;
            integer kr, ks;
            always @(*) begin
                evr = {KR*P{1'b0}};
                ovr = {KR*P{1'b0}};
                for (kr = 0; kr < KR; kr = kr + 1)
                    for (ks = 0; ks < K; ks = ks + 1)
                        if (ks[2:0] == rp_sk + kr[2:0]) begin
                            evr[kr*P +: P] = ev[ks*P +: P];
                            ovr[kr*P +: P] = ov[ks*P +: P];
                        end
            end
            assign s2_even = evr;
            assign s2_odd  = ovr;
        end else begin : g_no_s2f
            assign w_on     = 1'b0;
            assign w_push   = 1'b0;
            assign n_w      = 4'd0;
            assign r_issue  = 1'b0;
            assign r_wq     = {WMA{1'b0}};
            assign rp_valid = 1'b0;
            assign rp_first = 1'b0;
            assign rp_out   = 1'b0;
            assign rp_last  = 1'b0;
            assign s2_even  = {KR*PI*P{1'b0}};
            assign s2_odd   = {KR*PI*P{1'b0}};
            assign s2f_busy = 1'b0;
        end
    endgenerate

    // ------------------------------------------------------------------ line buffer and column
    // One word per image column and chunk: field f (PI elements) holds row r-1-f, f = 0 .. K-2.
    // Read when a slot is pushed, written back (shifted by one row) when it leaves stage p: the two
    // addresses differ because consecutive line-buffer slots have consecutive addresses.
    localparam integer LBW = (K - 1) * PI * P;
    reg [LBW-1:0]  lb [0:LB_DEPTH-1];
    reg [LBW-1:0]  lb_q;
    reg [PI*P-1:0] p_val;
    reg [AW-1:0]   p_addr;
    reg [K-2:0]    p_rows;      // field f holds a row of the grid at or below the first image row
    reg [2:0]      p_sk;
    reg            p_valid, p_lb, p_sub0, p_first, p_out, p_last;
    wire [LBW-1:0] lb_wdata;
    generate
        if (K > 2) begin : g_lb_shift
            assign lb_wdata = {lb_q[(K-2)*PI*P-1:0], p_val};
        end else begin : g_lb_single
            assign lb_wdata = p_val;
        end
    endgenerate

    always @(posedge aclk) begin
        if (push && lb_slot && sub0) lb_q <= lb[la];
        if (en && p_valid && p_lb && p_sub0) lb[p_addr] <= lb_wdata;
    end

    integer ue, rf;
    always @(posedge aclk) begin
        if (!aresetn) begin
            p_valid <= 1'b0;
        end else if (en) begin
            p_valid <= push;
        end
        // A chunk's elements and line-buffer word are taken on its first clock and held for its rows.
        if (en && push && sub0)
            for (ue = 0; ue < PI; ue = ue + 1)
                p_val[ue*P +: P] <= (ue < n_need) ? ub[ue*P +: P] : {P{1'b0}};
        if (en && push) begin
            for (rf = 0; rf < K - 1; rf = rf + 1)
                p_rows[rf] <= ({14'd0, sr} >= {14'd0, r_lo} + 32'd1 + rf);
            p_addr  <= la;
            p_lb    <= lb_slot;
            p_sub0  <= sub0;
            p_sk    <= sk;
            p_q     <= pad_col ? {WMA{1'b0}} : sw;
            p_first <= pad_col || (sq == {QW{1'b0}} && sub0);
            p_out   <= is_out && q_last;
            p_last  <= is_last && q_last;
        end
        if (en && r_issue) p_q <= r_wq;
    end

    // colf[ky][pi] = channel q*PI + pi of pixel (r-K+1+ky, c); rows above the image (or stale rows of
    // the previous frame) read as zero, as do padding columns. colv holds the KR rows of this clock:
    // all K, or row p_sk.
    wire [K*PI*P-1:0] colf;
    genvar fky;
    generate
        for (fky = 0; fky < K - 1; fky = fky + 1) begin : g_colf
            assign colf[fky*PI*P +: PI*P] = (p_lb && p_rows[K-2-fky]) ? lb_q[(K-2-fky)*PI*P +: PI*P] : {PI*P{1'b0}};
        end
    endgenerate
    assign colf[(K-1)*PI*P +: PI*P] = p_val;
    wire [2:0] c_row0 = (KR == K) ? 3'd0 : p_sk;
    reg [KR*PI*P-1:0] colv;
    reg               c_pix, c_first, c_out, c_last;
    integer cky;
    // colo: the odd column of a stride-2 pair step (taps of odd kx), colv then holds the even one.
    /* verilator lint_off UNUSEDSIGNAL */
    reg [KR*PI*P-1:0] colo;
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge aclk) begin
        if (!aresetn) begin
            c_pix <= 1'b0;
        end else if (en) begin
            c_pix <= p_valid || rp_valid;
        end
        if (en) begin
            c_first <= s2f_q ? rp_first : p_first;
            c_out   <= s2f_q ? rp_out : p_out;
            c_last  <= s2f_q ? rp_last : p_last;
            for (cky = 0; cky < KR; cky = cky + 1)
                colv[cky*PI*P +: PI*P] <= s2f_q ? s2_even[cky*PI*P +: PI*P] : colf[(cky + {29'd0, c_row0})*PI*P +: PI*P];
            colo <= s2_odd;
        end
    end

    // ------------------------------------------------------------------ products (stages m1, m2)
    // prod[((po*PI + pi)*KR + ky)*K + kx] = colv[ky][pi] * w[po][pi][ky][kx], exact, 2P bits.
    localparam integer NPROD = PO * PI * RK;
    reg [NPROD*PROD_W-1:0] prod;
    generate
        if (P == 8) begin : g_int8_pairs
            // Two output channels share a pixel, so their taps share a DSP48E1 (25 x 18 multiplier):
            // A = w_a * 2^16 + w_b fits 25 bits (|A| <= 128 * 2^16 + 128 < 2^24), B = x, so
            // A * x = (w_a * x) * 2^16 + w_b * x. |w_b * x| <= 2^14, so the low 16 bits hold w_b * x
            // exactly as a signed number, and w_a * x = (A * x >>> 16) + bit 15: the correction term
            // undoes the borrow a negative low product takes from the high one. PO is even.
            localparam integer NPAIR = (PO / 2) * PI * RK;
            reg [NPAIR*33-1:0] pp;
            // Lane of channel po: ((po*PI + pi)*RK + t); pair a holds channels 2a (high) and 2a+1 (low).
            integer a, ppi, pt;
            always @(posedge aclk) begin
                if (en) begin
                    for (a = 0; a < PO / 2; a = a + 1)
                        for (ppi = 0; ppi < PI; ppi = ppi + 1)
                            for (pt = 0; pt < RK; pt = pt + 1) begin
                                pp[((a * PI + ppi) * RK + pt)*33 +: 33] <=
                                    $signed(pack_pair(wq_c[(((2 * a) * PI + ppi) * RK + pt)*P +: P],
                                                      wq_c[(((2 * a + 1) * PI + ppi) * RK + pt)*P +: P]))
                                    * $signed(colv[((pt / K) * PI + ppi)*P +: P]);
                                prod[(((2 * a) * PI + ppi) * RK + pt)*PROD_W +: PROD_W] <=
                                    pp[((a * PI + ppi) * RK + pt)*33 + 16 +: 16] + {15'd0, pp[((a * PI + ppi) * RK + pt)*33 + 15]};
                                prod[(((2 * a + 1) * PI + ppi) * RK + pt)*PROD_W +: PROD_W] <=
                                    pp[((a * PI + ppi) * RK + pt)*33 +: 16];
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
            reg [NPROD*PROD_W-1:0] pm;
            integer mpo, mpi, mt;
            always @(posedge aclk) begin
                if (en) begin
                    for (mpo = 0; mpo < PO; mpo = mpo + 1)
                        for (mpi = 0; mpi < PI; mpi = mpi + 1)
                            for (mt = 0; mt < RK; mt = mt + 1)
                                pm[((mpo * PI + mpi) * RK + mt)*PROD_W +: PROD_W] <=
                                    $signed((s2f_q && (mt % K) % 2 == 1) ? colo[((mt / K) * PI + mpi)*P +: P]
                                                                          : colv[((mt / K) * PI + mpi)*P +: P])
                                    * $signed(wq_c[((mpo * PI + mpi) * RK + mt)*P +: P]);
                    prod <= pm;
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------ column sums
    // Per output channel po and tap column kx a pipelined adder tree over the PI x KR products
    // (heap order, node n has children 2n and 2n+1; the zero leaves are constants synthesis removes).
    localparam integer NCOL = PO * K;
    /* verilator lint_off UNUSEDSIGNAL */
    // Slot 0 of each heap is never used.
    reg [NCOL*2*CP*TW-1:0] cnode;
    /* verilator lint_on UNUSEDSIGNAL */
    // Column cc = (po, kx) = (cc / K, cc % K); leaf cn = (pi, ky) = (cn / KR, cn % KR).
    integer cc, cn;
    always @(posedge aclk) begin
        if (en) begin
            for (cc = 0; cc < NCOL; cc = cc + 1) begin
                for (cn = 0; cn < NL; cn = cn + 1)
                    cnode[(cc*2*CP+CP+cn)*TW +: TW] <=
                        sext_prod(prod[((((cc / K) * PI + cn / KR) * KR + cn % KR) * K + cc % K)*PROD_W +: PROD_W]);
                for (cn = NL; cn < CP; cn = cn + 1)
                    cnode[(cc*2*CP+CP+cn)*TW +: TW] <= {TW{1'b0}};
                for (cn = 1; cn < CP; cn = cn + 1)
                    cnode[(cc*2*CP+cn)*TW +: TW] <= cnode[(cc*2*CP+2*cn)*TW +: TW] + cnode[(cc*2*CP+2*cn+1)*TW +: TW];
            end
        end
    end

    function [TW-1:0] sext_prod;
        input [PROD_W-1:0] value;
        begin
            sext_prod = {{(TW-PROD_W+1){value[PROD_W-1]}}, value[PROD_W-2:0]};
        end
    endfunction

    function [CW-1:0] sext_tree;
        input [TW-1:0] value;
        begin
            sext_tree = {{(CW-TW+1){value[TW-1]}}, value[TW-2:0]};
        end
    endfunction

    // Flags travel with the column products: m1, m2, leaves, CLEV levels.
    localparam integer CDEPTH = 3 + CLEV;
    reg [CDEPTH-1:0] cp_pix, cp_first, cp_out, cp_last;
    always @(posedge aclk) begin
        if (!aresetn) begin
            cp_pix <= {CDEPTH{1'b0}};
        end else if (en) begin
            cp_pix <= {cp_pix[CDEPTH-2:0], c_pix};
        end
        if (en) begin
            cp_first <= {cp_first[CDEPTH-2:0], c_first};
            cp_out   <= {cp_out[CDEPTH-2:0], c_out};
            cp_last  <= {cp_last[CDEPTH-2:0], c_last};
        end
    end

    // ------------------------------------------------------------------ chain: sum over columns and chunks
    // The first chunk of a column shifts the chain (s_j <= s_(j-1) + cs_j), later chunks add to it
    // (s_j <= s_j + cs_j): after the last chunk of column c, s_(K-1) is the window ending at c summed
    // over every input channel. A stride-2 pair step (odd column 2p-1, even column 2p) fills every tap
    // column once: for even j the chain takes s_(j-2) + cs_(j-1) + cs_j, so after the step's last chunk
    // s_(K-1) is the window ending at column 2p (the odd s_j are unused).
    wire ch_step  = cp_pix[CDEPTH-1];
    wire ch_first = cp_first[CDEPTH-1];
    reg [PO*K*CW-1:0] chain;
    reg               ch_last;
    integer hp, hj;
    always @(posedge aclk) begin
        if (!aresetn) begin
            ch_done <= 1'b0;
        end else if (en) begin
            ch_done <= ch_step && cp_out[CDEPTH-1];
        end
        if (en) ch_last <= cp_last[CDEPTH-1];
        if (en && ch_step) begin
            for (hp = 0; hp < PO; hp = hp + 1)
                for (hj = 0; hj < K; hj = hj + 1)
                    chain[(hp*K+hj)*CW +: CW] <=
                        ((hj == 0) ? (ch_first ? {CW{1'b0}} : chain[(hp*K)*CW +: CW])
                                   : (!ch_first ? chain[(hp*K+hj)*CW +: CW]
                                      : (s2f_q && hj % 2 == 0) ? chain[(hp*K+((hj >= 2) ? hj - 2 : 0))*CW +: CW]
                                      : chain[(hp*K+hj-1)*CW +: CW]))
                        + sext_tree(cnode[((hp*K+hj)*2*CP+1)*TW +: TW])
                        + ((s2f_q && hj % 2 == 0 && hj > 0) ? sext_tree(cnode[((hp*K+((hj > 0) ? hj - 1 : 0))*2*CP+1)*TW +: TW]) : {CW{1'b0}});
        end
    end

    // Busy until the last slot has left the chain.
    always @(*) fe_busy = p_valid || c_pix || (cp_pix != {CDEPTH{1'b0}}) || ch_done;

    // ------------------------------------------------------------------ serializer
    reg [PO*CW-1:0] ser_val;
    reg [PO_W-1:0]  ser_idx;
    reg             ser_last;
    wire            ser_emit = be && ser_cnt != {PO_W{1'b0}};
    integer sp;
    always @(posedge aclk) begin
        if (!aresetn) begin
            ser_cnt <= {PO_W{1'b0}};
        end else if (ser_load) begin
            for (sp = 0; sp < PO; sp = sp + 1)
                ser_val[sp*CW +: CW] <= chain[(sp*K+K-1)*CW +: CW];
            ser_cnt  <= cout_q;
            ser_idx  <= {PO_W{1'b0}};
            ser_last <= ch_last;
        end else if (ser_emit) begin
            ser_cnt <= ser_cnt - 1'b1;
            ser_idx <= ser_idx + 1'b1;
        end
    end

    // ------------------------------------------------------------------ bias, round, saturate
    // One element per clock: r1 (select), acc (+ bias), q1 (shift), q2 (round), z (saturate).
    localparam integer DEPTH = 5;
    reg [DEPTH-1:0] v_pipe, l_pipe;
    always @(posedge aclk) begin
        if (!aresetn) begin
            v_pipe <= {DEPTH{1'b0}};
        end else if (be) begin
            v_pipe <= {v_pipe[DEPTH-2:0], ser_cnt != {PO_W{1'b0}}};
        end
        if (be) l_pipe <= {l_pipe[DEPTH-2:0], ser_last && ser_cnt == ONE};
    end

    reg  signed [CW-1:0]  r1_val;
    reg  [63:0]           r1_bias;
    reg  signed [63:0]    acc, q_sh, q_r, z_val;
    reg                   q_rb;
    wire [5:0]            shm1 = cfg_shift - 6'd1;
    wire signed [63:0]    r1_ext;
    generate
        if (CW < 64) begin : g_r1_sext
            assign r1_ext = {{(64-CW){r1_val[CW-1]}}, r1_val};
        end else begin : g_r1_full
            assign r1_ext = r1_val;
        end
    endgenerate
    integer bs;
    always @(posedge aclk) begin
        if (be) begin
            r1_val  <= ser_val[CW-1:0];
            r1_bias <= bias[63:0];
            for (bs = 1; bs < PO; bs = bs + 1)
                if (ser_idx == bs[PO_W-1:0]) begin
                    r1_val  <= ser_val[bs*CW +: CW];
                    r1_bias <= bias[bs*64 +: 64];
                end
            acc  <= r1_ext + r1_bias;                  // modulo 2^64
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
    // Requantized results are packed 64/P to a beat so the bytes land in memory exactly as the NHWC
    // output of the group; raw results are one Int64 per beat. Only the batch's last beat may be partial.
    localparam integer LANE_W = clog2(LANES);
    wire z_valid = v_pipe[DEPTH-1];
    wire z_last  = l_pipe[DEPTH-1];
    reg  [LANE_W-1:0] o_lane;
    wire [3:0] o_used  = {{(4-LANE_W){1'b0}}, o_lane} + 4'd1;
    wire [3:0] o_bytes = o_used * BYTES[3:0];
    always @(posedge aclk) begin
        if (!aresetn) begin
            o_valid  <= 1'b0;
            o_last   <= 1'b0;
            o_lane   <= {LANE_W{1'b0}};
            o_keep   <= 8'd0;
            out_done <= 1'b0;
        end else begin
            if (start) begin
                o_lane   <= {LANE_W{1'b0}};
                out_done <= 1'b0;
            end else if (o_valid && m_axis_tready && o_last) begin
                out_done <= 1'b1;
            end
            if (be) begin
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
