// Testbench for conv_rm: drives the AXI4-Lite port like the PS driver and both AXI4-Streams like an AXI
// DMA (MM2S sends the weight words of the group, then the NHWC input packed into 64-bit beats; S2MM
// takes the output with random TREADY stalls),
// and compares every output element bit for bit with vectors written by the C# reference
// (`dpr hardware vectors`). Vector file layout: docs/hardware.md, "Test vectors".
// Prints one "PASS ..." line or "FAIL ..." lines; hardware/run-sim.sh checks for them.
`timescale 1ns / 1ps
`default_nettype none
`include "conv_regs.vh"
module tb_conv;
    parameter integer K = 3;
    parameter integer P = 8;
    localparam integer KK    = K * K;
    localparam integer LANES = 64 / P;
    localparam integer VEC_WORDS = 1 << 18;
    localparam integer HEADER = 14;
    localparam integer SBUF = 1 << 16;

    reg clk = 1'b0;
    always #5 clk = !clk;  // 100 MHz
    reg aresetn = 1'b0;

    reg  [11:0] awaddr = 0;  reg awvalid = 0; wire awready;
    reg  [31:0] wdata = 0;   reg [3:0] wstrb = 0; reg wvalid = 0; wire wready;
    wire [1:0]  bresp;       wire bvalid; reg bready = 0;
    reg  [11:0] araddr = 0;  reg arvalid = 0; wire arready;
    wire [31:0] rdata;       wire [1:0] rresp; wire rvalid; reg rready = 0;
    reg  [63:0] s_tdata = 0; reg [7:0] s_tkeep = 0; reg s_tlast = 0; reg s_tvalid = 0; wire s_tready;
    wire [63:0] m_tdata;     wire [7:0] m_tkeep; wire m_tlast; wire m_tvalid; reg m_tready = 0;
    wire        irq;

    conv_rm #(.K(K), .P(P)) dut (
        .aclk(clk), .aresetn(aresetn),
        .s_axi_awaddr(awaddr), .s_axi_awvalid(awvalid), .s_axi_awready(awready),
        .s_axi_wdata(wdata), .s_axi_wstrb(wstrb), .s_axi_wvalid(wvalid), .s_axi_wready(wready),
        .s_axi_bresp(bresp), .s_axi_bvalid(bvalid), .s_axi_bready(bready),
        .s_axi_araddr(araddr), .s_axi_arvalid(arvalid), .s_axi_arready(arready),
        .s_axi_rdata(rdata), .s_axi_rresp(rresp), .s_axi_rvalid(rvalid), .s_axi_rready(rready),
        .s_axis_tdata(s_tdata), .s_axis_tkeep(s_tkeep), .s_axis_tlast(s_tlast),
        .s_axis_tvalid(s_tvalid), .s_axis_tready(s_tready),
        .m_axis_tdata(m_tdata), .m_axis_tkeep(m_tkeep), .m_axis_tlast(m_tlast),
        .m_axis_tvalid(m_tvalid), .m_axis_tready(m_tready),
        .irq(irq));

    reg [63:0] vec [0:VEC_WORDS-1];
    integer errors = 0;
    integer seed = 1;
    reg [1023:0] path;

    // ---------------------------------------------------------------- AXI4-Lite master (the PS)
    task axil_write;
        input [11:0] addr;
        input [31:0] data;
        input        w_first;   // present W a few cycles before AW: AXI4-Lite allows either order
        reg aw_done, w_done;
        begin
            @(posedge clk);
            wdata <= data; wstrb <= 4'hF; wvalid <= 1'b1; bready <= 1'b1;
            aw_done = 1'b0; w_done = 1'b0;
            if (w_first) begin
                @(posedge clk);
                if (wvalid && wready) begin w_done = 1'b1; wvalid <= 1'b0; end
                @(posedge clk);
                if (wvalid && wready) begin w_done = 1'b1; wvalid <= 1'b0; end
            end
            awaddr <= addr; awvalid <= 1'b1;
            while (!(aw_done && w_done)) begin
                @(posedge clk);
                if (awvalid && awready) begin aw_done = 1'b1; awvalid <= 1'b0; end
                if (wvalid && wready) begin w_done = 1'b1; wvalid <= 1'b0; end
            end
            while (!bvalid) @(posedge clk);
            @(posedge clk);
            bready <= 1'b0;
            if (bresp != 2'b00) fail_msg("write response not OKAY");
        end
    endtask

    task axil_read;
        input  [11:0] addr;
        output [31:0] data;
        begin
            @(posedge clk);
            araddr <= addr; arvalid <= 1'b1; rready <= 1'b1;
            @(posedge clk);
            while (!arready) @(posedge clk);
            arvalid <= 1'b0;
            @(posedge clk);
            while (!rvalid) @(posedge clk);
            data = rdata;
            rready <= 1'b0;
        end
    endtask

    task expect_reg;
        input [11:0]   addr;
        input [31:0]   expected;
        input [8*24:1] what;
        reg   [31:0]   got;
        begin
            axil_read(addr, got);
            if (got !== expected) begin
                errors = errors + 1;
                $display("FAIL K=%0d P=%0d register %0s at 0x%03h: got 0x%08h, expected 0x%08h", K, P, what, addr, got, expected);
            end
        end
    endtask

    task fail_msg;
        input [8*64:1] msg;
        begin
            errors = errors + 1;
            $display("FAIL K=%0d P=%0d case %0d: %0s", K, P, case_no, msg);
        end
    endtask

    // ---------------------------------------------------------------- DMA MM2S model (input stream)
    // Sends sbuf[0 .. in_beats-1], TLAST on the last beat, with random gaps when stall bit 1 is set.
    reg [63:0] sbuf [0:SBUF-1];
    reg [7:0]  skeep_last;
    reg     in_active = 1'b0;
    integer in_next, in_beats, stall;
    always @(posedge clk) begin
        if (!in_active) begin
            s_tvalid <= 1'b0;
        end else if (!s_tvalid || s_tready) begin
            if (s_tvalid && s_tready && in_next == in_beats) begin
                in_active <= 1'b0;
                s_tvalid  <= 1'b0;
            end else if (in_next < in_beats && (!(stall & 2) || ($random(seed) & 3) != 0)) begin
                s_tdata  <= sbuf[in_next];
                s_tkeep  <= (in_next == in_beats - 1) ? skeep_last : 8'hFF;
                s_tlast  <= (in_next == in_beats - 1);
                s_tvalid <= 1'b1;
                in_next  <= in_next + 1;
            end else begin
                s_tvalid <= 1'b0;
            end
        end
    end

    // Packs count elements of vec from base (P bits each, little endian) into sbuf.
    integer pk;
    task pack_elements;
        input integer base;
        input integer count;
        begin
            for (pk = 0; pk < (count + LANES - 1) / LANES; pk = pk + 1) sbuf[pk] = 64'd0;
            for (pk = 0; pk < count; pk = pk + 1)
                sbuf[pk / LANES][(pk % LANES)*P +: P] = vec[base + pk][P-1:0];
            skeep_last = (count % LANES == 0) ? 8'hFF : (8'hFF >> (8 - (count % LANES) * (P / 8)));
            in_beats = (count + LANES - 1) / LANES;
        end
    endtask

    task send_stream;
        begin
            in_next = 0;
            in_active = 1'b1;
            while (in_active) @(posedge clk);
        end
    endtask

    // ---------------------------------------------------------------- DMA S2MM model (output stream)
    reg     out_active = 1'b0;
    integer exp_base, exp_count, got_count, case_no, mismatches_shown;
    reg [63:0] got, want;
    integer ol;
    always @(posedge clk) begin
        if (out_active && m_tvalid && m_tready) begin
            if (got_count >= exp_count) begin
                fail_msg("more output beats than expected");
            end else if (dut.cfg_raw) begin
                check_element(m_tdata, vec[exp_base + got_count], got_count);
                if (m_tkeep !== 8'hFF) fail_msg("raw beat with TKEEP not all ones");
                if (m_tlast !== (got_count == exp_count - 1)) fail_msg("TLAST on the wrong raw beat");
                got_count = got_count + 1;
            end else begin
                for (ol = 0; ol < LANES; ol = ol + 1) begin
                    if (got_count < exp_count) begin
                        got = {{(64-P){m_tdata[ol*P+P-1]}}, m_tdata[ol*P +: P]};
                        check_element(got, vec[exp_base + got_count], got_count);
                        if (m_tkeep[ol*(P/8) +: (P/8)] !== {(P/8){1'b1}}) fail_msg("TKEEP clear on a used lane");
                        got_count = got_count + 1;
                    end else if (m_tkeep[ol*(P/8) +: (P/8)] !== {(P/8){1'b0}}) begin
                        fail_msg("TKEEP set on a lane past the end");
                    end
                end
                if (m_tlast !== (got_count == exp_count)) fail_msg("TLAST on the wrong beat");
            end
        end
        // S2MM back-pressure: random TREADY, with runs of several idle cycles
        m_tready <= out_active && (!(stall & 1) || ($random(seed) % 5) >= 2);
    end

    task check_element;
        input [63:0] value;
        input [63:0] expected;
        input integer index;
        begin
            if (value !== expected) begin
                errors = errors + 1;
                if (mismatches_shown < 8)
                    $display("FAIL K=%0d P=%0d case %0d: output %0d is 0x%016h, reference 0x%016h",
                             K, P, case_no, index, value, expected);
                mismatches_shown = mismatches_shown + 1;
            end
        end
    endtask

    // ---------------------------------------------------------------- one case
    integer pos, w, h, n, stride, pad_same, raw, shift, out_w, out_h, i, waited, cycles_limit;
    integer cin, cout, v1, nq, bpw, ww, q, po, pi, t, ci, lane_i, in_count, wpos, bpos, load_cycles;
    integer pi_hw, po_hw;
    reg [63:0]   bias;
    reg [31:0]   status, cycles, caps, caps2;
    reg [4095:0] wword;
    task wait_done;
        begin
            waited = 0;
            status = 0;
            while (!status[`CONV_STATUS_DONE_LSB] && waited < cycles_limit) begin
                axil_read(`CONV_REG_STATUS, status);
                waited = waited + 4;
            end
            if (!status[`CONV_STATUS_DONE_LSB]) fail_msg("timed out waiting for DONE");
            if (status[`CONV_STATUS_BUSY_LSB] || status[`CONV_STATUS_ERROR_LSB]) fail_msg("BUSY or ERROR with DONE");
            if (!irq) fail_msg("DONE did not raise the interrupt");
        end
    endtask

    task run_case;
        begin
            case_no  = vec[pos][31:0];
            w        = vec[pos + 1];
            h        = vec[pos + 2];
            n        = vec[pos + 3];
            stride   = vec[pos + 4];
            pad_same = vec[pos + 5];
            raw      = vec[pos + 6];
            shift    = vec[pos + 7];
            stall    = vec[pos + 8];
            out_w    = vec[pos + 9];
            out_h    = vec[pos + 10];
            cin      = vec[pos + 11];
            cout     = vec[pos + 12];
            v1       = vec[pos + 13];
            pos = pos + HEADER;
            bpos = pos;
            pos = pos + cout;
            wpos = pos;
            pos = pos + cout * cin * KK;
            axil_write(`CONV_REG_IMG_W, w, case_no % 3 == 0);
            axil_write(`CONV_REG_IMG_H, h, 1'b0);
            axil_write(`CONV_REG_FRAMES, n, 1'b0);
            if (!(v1 && case_no == 1)) begin   // the first single-channel case relies on the reset values
                axil_write(`CONV_REG_CIN, cin, 1'b0);
                axil_write(`CONV_REG_COUT, cout, 1'b0);
            end
            axil_write(`CONV_REG_CONFIG, (stride << `CONV_CONFIG_STRIDE_LSB) | (pad_same << `CONV_CONFIG_PAD_SAME_LSB)
                                         | (raw << `CONV_CONFIG_RAW_LSB) | (shift << `CONV_CONFIG_SHIFT_LSB), 1'b0);
            load_cycles = 0;
            if (v1) begin
                // Register map 1.0: one channel, bias in BIAS_LO/HI, weights through WEIGHT.
                bias = vec[bpos];
                axil_write(`CONV_REG_BIAS_LO, bias[31:0], 1'b0);
                axil_write(`CONV_REG_BIAS_HI, bias[63:32], 1'b0);
                for (i = 0; i < KK; i = i + 1)
                    axil_write(`CONV_REG_WEIGHT_BASE + i * `CONV_WEIGHT_STRIDE, vec[wpos + i][31:0], 1'b0);
            end else begin
                for (i = 0; i < cout; i = i + 1) begin
                    bias = vec[bpos + i];
                    axil_write(`CONV_REG_BIAS_BASE + 8 * i, bias[31:0], 1'b0);
                    axil_write(`CONV_REG_BIAS_BASE + 8 * i + 4, bias[63:32], 1'b0);
                end
                // The weight words of the group (docs/register-map.md, "Weight upload").
                nq  = (cin + pi_hw - 1) / pi_hw;
                ww  = po_hw * pi_hw * KK * P;
                bpw = (ww + 63) / 64;
                for (q = 0; q < nq; q = q + 1) begin
                    wword = 0;
                    for (po = 0; po < cout; po = po + 1)
                        for (pi = 0; pi < pi_hw; pi = pi + 1)
                            for (t = 0; t < KK; t = t + 1) begin
                                ci = q * pi_hw + pi;
                                lane_i = (po * pi_hw + pi) * KK + t;
                                if (ci < cin) wword[lane_i*P +: P] = vec[wpos + (po * cin + ci) * KK + t][P-1:0];
                            end
                    for (i = 0; i < bpw; i = i + 1) sbuf[q * bpw + i] = wword[i*64 +: 64];
                end
                in_beats = nq * bpw;
                skeep_last = 8'hFF;
                axil_write(`CONV_REG_CTRL, 1 << `CONV_CTRL_LOAD_WEIGHTS_LSB, 1'b0);
                send_stream;
                cycles_limit = 40 * in_beats + 200;
                wait_done;
                axil_read(`CONV_REG_CYCLES, cycles);
                load_cycles = cycles;
                axil_write(`CONV_REG_STATUS, 1 << `CONV_STATUS_DONE_LSB, 1'b0);
            end
            expect_reg(`CONV_REG_OUT_W, out_w, "OUT_W");
            expect_reg(`CONV_REG_OUT_H, out_h, "OUT_H");

            in_count  = n * h * w * cin;
            pack_elements(pos, in_count);
            pos       = pos + in_count;
            exp_base  = pos;
            exp_count = n * out_h * out_w * cout;
            pos       = pos + exp_count;
            got_count = 0;
            mismatches_shown = 0;

            axil_write(`CONV_REG_CTRL, 1 << `CONV_CTRL_START_LSB, 1'b0);
            in_next    = 0;
            in_active  = 1'b1;
            out_active = 1'b1;
            // Configuration writes while BUSY are ignored (the batch keeps its geometry and weights).
            if (in_count >= 64) begin
                axil_write(`CONV_REG_IMG_W, w + 1, 1'b0);
                axil_write(`CONV_REG_WEIGHT_BASE, 32'h1, 1'b0);
                expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_BUSY_LSB, "STATUS while running");
            end
            // Generous bound: every slot and output beat stalled several times over.
            cycles_limit = 40 * n * (h + 4) * (w + 4) * ((cin + pi_hw - 1) / pi_hw + cout) + 4000;
            wait_done;
            expect_reg(`CONV_REG_IMG_W, w, "IMG_W written while BUSY");
            out_active = 1'b0;
            if (in_active) fail_msg("input stream not fully consumed");
            in_active = 1'b0;
            if (got_count != exp_count) fail_msg("fewer output elements than expected");
            axil_read(`CONV_REG_CYCLES, cycles);
            $display("case %0d K=%0d P=%0d %0dx%0d N=%0d cin=%0d cout=%0d stride=%0d %0s %0s shift=%0d stall=%0d: %0d outputs in %0d cycles, weights %0d cycles",
                     case_no, K, P, h, w, n, cin, cout, stride, pad_same ? "same" : "valid", raw ? "raw" : "requantized", shift,
                     stall, exp_count, cycles, load_cycles);
            axil_write(`CONV_REG_STATUS, 1 << `CONV_STATUS_DONE_LSB, 1'b0);
            expect_reg(`CONV_REG_STATUS, 32'd0, "STATUS after W1C");
        end
    endtask

    // ---------------------------------------------------------------- the run
    integer ncases, c;
    initial begin
        if (!$value$plusargs("vectors=%s", path)) begin
            $display("FAIL K=%0d P=%0d: no +vectors=FILE", K, P);
            $finish;
        end
        for (i = 0; i < VEC_WORDS; i = i + 1) vec[i] = 64'bx;
        $readmemh(path, vec);
        case_no = -1;
        repeat (5) @(posedge clk);
        aresetn <= 1'b1;
        repeat (2) @(posedge clk);

        expect_reg(`CONV_REG_ID, {`CONV_ID_MAGIC, K[7:0], P[7:0]}, "ID");
        expect_reg(`CONV_REG_VERSION, `CONV_VERSION_VALUE, "VERSION");
        axil_read(`CONV_REG_CAPS, caps);
        if (caps[`CONV_CAPS_MAX_WIDTH_LSB +: `CONV_CAPS_MAX_WIDTH_WIDTH] != 2048 - (K - 1)
            || (caps[`CONV_CAPS_ROW_CLOCKS_LSB +: `CONV_CAPS_ROW_CLOCKS_WIDTH] != 1
                && caps[`CONV_CAPS_ROW_CLOCKS_LSB +: `CONV_CAPS_ROW_CLOCKS_WIDTH] != K)
            || caps[31:25] != 0 || caps[`CONV_CAPS_STRIDE2_ROWS_LSB] != (K == 3 && P != 8))
            fail_msg("CAPS out of range");
        axil_read(`CONV_REG_CAPS2, caps2);
        pi_hw = caps2[`CONV_CAPS2_PI_LSB +: `CONV_CAPS2_PI_WIDTH];
        po_hw = caps2[`CONV_CAPS2_PO_LSB +: `CONV_CAPS2_PO_WIDTH];
        if (pi_hw < 1 || po_hw < 1 || caps2[`CONV_CAPS2_MAX_CIN_LSB +: `CONV_CAPS2_MAX_CIN_WIDTH] != 256)
            fail_msg("CAPS2 out of range");
        $display("conv%0dx%0d_int%0d: PI=%0d PO=%0d, %0d clocks a chunk", K, K, P, pi_hw, po_hw,
                 caps[`CONV_CAPS_ROW_CLOCKS_LSB +: `CONV_CAPS_ROW_CLOCKS_WIDTH]);
        expect_reg(`CONV_REG_STATUS, 32'd0, "STATUS after reset");
        axil_write(`CONV_REG_IER, 1, 1'b0);

        // A start with a configuration outside docs/convolution.md sets ERROR and does not run.
        axil_write(`CONV_REG_IMG_W, 8, 1'b0);
        axil_write(`CONV_REG_IMG_H, 8, 1'b0);
        axil_write(`CONV_REG_CONFIG, 3, 1'b0);  // stride 3
        axil_write(`CONV_REG_CTRL, 1, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS stride 3");
        axil_write(`CONV_REG_CONFIG, (1 << `CONV_CONFIG_RAW_LSB) | (1 << `CONV_CONFIG_SHIFT_LSB) | 1, 1'b0);
        axil_write(`CONV_REG_CTRL, 1, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS raw with shift");
        axil_write(`CONV_REG_IMG_W, K - 1, 1'b0);
        axil_write(`CONV_REG_CONFIG, 1, 1'b0);
        axil_write(`CONV_REG_CTRL, 1, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS valid W < K");
        expect_reg(`CONV_REG_OUT_W, 0, "OUT_W valid W < K");
        axil_write(`CONV_REG_IMG_W, 2048, 1'b0);
        axil_write(`CONV_REG_CONFIG, 1 | (1 << `CONV_CONFIG_PAD_SAME_LSB), 1'b0);
        axil_write(`CONV_REG_CTRL, 1, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS W over CAPS");
        // W x ceil(CIN/PI) over the line buffer, CIN over MAX_CIN, COUT over PO: refused.
        axil_write(`CONV_REG_IMG_W, 1024, 1'b0);
        axil_write(`CONV_REG_CIN, 2 * pi_hw + 1, 1'b0);
        axil_write(`CONV_REG_CTRL, 1, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS W x chunks over CAPS");
        axil_write(`CONV_REG_IMG_W, 8, 1'b0);
        axil_write(`CONV_REG_CIN, 257, 1'b0);
        axil_write(`CONV_REG_CTRL, 2, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS CIN over MAX_CIN");
        axil_write(`CONV_REG_CIN, 1, 1'b0);
        axil_write(`CONV_REG_COUT, po_hw + 1, 1'b0);
        axil_write(`CONV_REG_CTRL, 1, 1'b0);
        expect_reg(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, "STATUS COUT over PO");
        axil_write(`CONV_REG_COUT, 1, 1'b0);
        axil_write(`CONV_REG_IMG_W, 0, 1'b0);
        axil_write(`CONV_REG_STATUS, 1 << `CONV_STATUS_ERROR_LSB, 1'b0);
        expect_reg(`CONV_REG_STATUS, 32'd0, "STATUS after W1C");
        if (irq) fail_msg("interrupt without DONE");

        ncases = vec[0];
        if (ncases === 64'bx || ncases < 1) begin
            $display("FAIL K=%0d P=%0d: no cases in %0s", K, P, path);
            $finish;
        end
        pos = 1;
        for (c = 0; c < ncases; c = c + 1) run_case;
        if (errors == 0) $display("PASS conv%0dx%0d_int%0d: %0d cases bit-exact", K, K, P, ncases);
        else $display("FAIL conv%0dx%0d_int%0d: %0d mismatches", K, K, P, errors);
        $finish;
    end
endmodule
`default_nettype wire
