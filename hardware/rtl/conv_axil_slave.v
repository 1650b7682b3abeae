// AXI4-Lite slave front end: turns AXI4-Lite transactions into one-cycle register write and read
// strobes for conv_rm. Write address and data may arrive in either order or together (AMBA AXI4-Lite,
// IHI0022, A3.3: no ordering between AW and W). One outstanding transaction per direction, which is all a
// PS GP port issues to a 32-bit peripheral anyway.
`timescale 1ns / 1ps
`default_nettype none
module conv_axil_slave #(
    parameter integer ADDR_W = 12
) (
    input  wire              aclk,
    input  wire              aresetn,
    input  wire [ADDR_W-1:0] s_axi_awaddr,
    input  wire              s_axi_awvalid,
    output wire              s_axi_awready,
    input  wire [31:0]       s_axi_wdata,
    input  wire [3:0]        s_axi_wstrb,
    input  wire              s_axi_wvalid,
    output wire              s_axi_wready,
    output wire [1:0]        s_axi_bresp,
    output reg               s_axi_bvalid,
    input  wire              s_axi_bready,
    input  wire [ADDR_W-1:0] s_axi_araddr,
    input  wire              s_axi_arvalid,
    output wire              s_axi_arready,
    output reg  [31:0]       s_axi_rdata,
    output wire [1:0]        s_axi_rresp,
    output reg               s_axi_rvalid,
    input  wire              s_axi_rready,
    // register bus towards the core
    output wire              wr_en,
    output reg  [ADDR_W-1:0] wr_addr,
    output reg  [31:0]       wr_data,
    output reg  [3:0]        wr_strb,
    output wire [ADDR_W-1:0] rd_addr,
    input  wire [31:0]       rd_data
);
    reg aw_have;
    reg w_have;

    assign s_axi_awready = !aw_have && !s_axi_bvalid;
    assign s_axi_wready  = !w_have && !s_axi_bvalid;
    assign s_axi_bresp   = 2'b00;  // OKAY: unmapped offsets read as zero and ignore writes
    assign s_axi_rresp   = 2'b00;
    assign wr_en         = aw_have && w_have && !s_axi_bvalid;

    always @(posedge aclk) begin
        if (!aresetn) begin
            aw_have      <= 1'b0;
            w_have       <= 1'b0;
            s_axi_bvalid <= 1'b0;
            wr_addr      <= {ADDR_W{1'b0}};
            wr_data      <= 32'd0;
            wr_strb      <= 4'd0;
        end else begin
            if (s_axi_awvalid && s_axi_awready) begin
                aw_have <= 1'b1;
                wr_addr <= s_axi_awaddr;
            end
            if (s_axi_wvalid && s_axi_wready) begin
                w_have  <= 1'b1;
                wr_data <= s_axi_wdata;
                wr_strb <= s_axi_wstrb;
            end
            if (wr_en) begin
                aw_have      <= 1'b0;
                w_have       <= 1'b0;
                s_axi_bvalid <= 1'b1;
            end else if (s_axi_bvalid && s_axi_bready) begin
                s_axi_bvalid <= 1'b0;
            end
        end
    end

    // Reads have no side effects, so the data is sampled in the address handshake cycle.
    assign s_axi_arready = !s_axi_rvalid;
    assign rd_addr       = s_axi_araddr;

    always @(posedge aclk) begin
        if (!aresetn) begin
            s_axi_rvalid <= 1'b0;
            s_axi_rdata  <= 32'd0;
        end else if (s_axi_arvalid && s_axi_arready) begin
            s_axi_rvalid <= 1'b1;
            s_axi_rdata  <= rd_data;
        end else if (s_axi_rvalid && s_axi_rready) begin
            s_axi_rvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
