using System.Buffers.Binary;
using System.Text.Json;
using Dpr.Fabric.Bitstreams;

namespace Dpr.Host.Tests.Cli;

public class BitstreamVerbTests
{
    private const string Subtract = "cv_dfx_4_pr_composable_pr_join_subtract_partial.bit";

    [Fact]
    public void Inspect_json_has_the_documented_fields()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", CliRunner.Fixture(Subtract), "--json");

        Assert.Equal(0, exit);
        var j = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("partial", j.GetProperty("kind").GetString());
        Assert.Equal("bit", j.GetProperty("format").GetString());
        Assert.Equal("0x03727093", j.GetProperty("idcode").GetString());
        Assert.Equal("xc7z020", j.GetProperty("device").GetString());
        Assert.Equal("7z020clg400", j.GetProperty("header").GetProperty("b").GetString());
        Assert.Equal(175, j.GetProperty("syncOffset").GetInt32());
        Assert.Equal(
            ["RCRC", "WCFG", "SHUTDOWN", "NULL", "WCFG", "WCFG", "GRESTORE", "START", "DESYNC"],
            j.GetProperty("commands").EnumerateArray().Select(c => c.GetString()));
        var fdri = j.GetProperty("fdri").EnumerateArray().ToList();
        Assert.Equal(["0x01000000", "0x00001E00", "0x00001E00"], fdri.Select(f => f.GetProperty("far").GetString()));
        Assert.Equal([228, 145, 145], fdri.Select(f => f.GetProperty("frames").GetInt32()));
        Assert.Equal(52318, j.GetProperty("fdriTotalWords").GetInt64());
        Assert.Equal(3, j.GetProperty("crc").GetProperty("checks").GetInt32());
        Assert.True(j.GetProperty("crc").GetProperty("allMatch").GetBoolean());
        Assert.Equal(144, j.GetProperty("footprint").GetProperty("frames").GetInt32());
    }

    [Fact]
    public void Inspect_of_a_converted_bin_says_bin_and_has_no_header()
    {
        var bin = Path.Combine(Path.GetTempPath(), $"dpr-{Guid.NewGuid():N}.bin");
        try
        {
            Assert.Equal(0, CliRunner.Run("convert", CliRunner.Fixture(Subtract), bin).Exit);
            var (exit, stdout, _) = CliRunner.Run("inspect", bin, "--json");

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("bin", j.GetProperty("format").GetString());
            Assert.Equal(JsonValueKind.Null, j.GetProperty("header").ValueKind);
            Assert.Equal("partial", j.GetProperty("kind").GetString());
            Assert.Equal(209660, new FileInfo(bin).Length);
        }
        finally
        {
            File.Delete(bin);
        }
    }

    [Fact]
    public void Inspect_exit_codes()
    {
        var corrupt = Path.Combine(Path.GetTempPath(), $"dpr-{Guid.NewGuid():N}.bit");
        var truncated = corrupt + ".short";
        try
        {
            var bytes = File.ReadAllBytes(CliRunner.Fixture(Subtract));
            File.WriteAllBytes(truncated, bytes[..100_000]);
            bytes[100_000] ^= 1;
            File.WriteAllBytes(corrupt, bytes);

            var (crcExit, crcOut, _) = CliRunner.Run("inspect", corrupt);
            Assert.Equal(3, crcExit);
            Assert.Contains("mismatch", crcOut);

            var (badExit, _, badErr) = CliRunner.Run("inspect", truncated);
            Assert.Equal(2, badExit);
            Assert.Contains("byte offset 123", badErr);

            Assert.Equal(1, CliRunner.Run("inspect", "/no/such/file.bit").Exit);
            Assert.Equal(1, CliRunner.Run("inspect").Exit);
        }
        finally
        {
            File.Delete(corrupt);
            File.Delete(truncated);
        }
    }

    [Theory]
    [InlineData(Subtract, "pr_join", 0, "ok: fits")]
    [InlineData(Subtract, "pr_fork", 4, "outside partition 'pr_fork'")]
    [InlineData("cv_dfx_4_pr.bit", "pr_join", 4, "full bitstream")]
    [InlineData("arty-a7_swbut_design.bit", "pr_0", 5, "xc7a35t")]
    [InlineData("pr_0_gpio.bit", "pr_0", 4, "72 of the 1088 frames")]
    public void Verify_exit_codes(string file, string partition, int code, string says)
    {
        var (exit, stdout, _) = CliRunner.Run("verify", CliRunner.Fixture(file), "--board", "pynq-z2-composable", "--partition", partition);

        Assert.Equal(code, exit);
        Assert.Contains(says, stdout);
    }

    [Fact]
    public void Verify_with_a_board_file_and_json()
    {
        var board = Path.Combine(Path.GetTempPath(), $"dpr-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(board, """
                {"name":"join-only","device":"xc7z020","partitions":[
                  {"name":"rp","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":60,"lastColumn":63}],
                   "cfgClbMask":{"word":"0xE00009BC","rows":[
                     {"half":"top","row":0,"columns":"18-43,50-59,64-73"},
                     {"half":"bottom","row":0,"columns":"18-43,50-73"},
                     {"half":"bottom","row":1,"columns":"0-73"}]}}]}
                """);
            var (exit, stdout, _) = CliRunner.Run("verify", CliRunner.Fixture(Subtract), "--board", board, "--partition", "rp", "--json");

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(stdout).RootElement;
            Assert.True(j.GetProperty("fits").GetBoolean());
            Assert.Equal("join-only", j.GetProperty("board").GetString());
            Assert.Equal(JsonValueKind.Null, j.GetProperty("offset").ValueKind);
        }
        finally
        {
            File.Delete(board);
        }
    }

    [Fact]
    public void Verify_unknown_partition_is_a_usage_error()
    {
        var (exit, _, stderr) = CliRunner.Run("verify", CliRunner.Fixture(Subtract), "--board", "pynq-z2-composable", "--partition", "pr_9");

        Assert.Equal(1, exit);
        Assert.Contains("no partition 'pr_9'", stderr);
    }

    [Fact]
    public void Convert_refuses_a_crc_mismatch_and_writes_nothing()
    {
        var corrupt = Path.Combine(Path.GetTempPath(), $"dpr-{Guid.NewGuid():N}.bit");
        var output = corrupt + ".bin";
        try
        {
            var bytes = File.ReadAllBytes(CliRunner.Fixture(Subtract));
            bytes[150_000] ^= 0x80;
            File.WriteAllBytes(corrupt, bytes);

            var (exit, _, stderr) = CliRunner.Run("convert", corrupt, output);

            Assert.Equal(3, exit);
            Assert.Contains("CRC mismatch", stderr);
            Assert.False(File.Exists(output));
        }
        finally
        {
            File.Delete(corrupt);
        }
    }

    [Fact]
    public void Iprog_instead_of_grestore_is_refused_by_verify_and_inspect()
    {
        // The real pr_join partial with CMD GRESTORE changed to CMD IPROG, every CRC recomputed.
        var bytes = File.ReadAllBytes(CliRunner.Fixture(Subtract));
        var grestore = BitstreamReader.Read(bytes).RegisterWrites.First(w => w.Register == (int)ConfigRegister.CMD && w.Value == (uint)ConfigCommand.GRESTORE);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((int)grestore.Offset), (uint)ConfigCommand.IPROG);
        var path = Write(FixCrcs(bytes));
        try
        {
            var (exit, stdout, _) = CliRunner.Run("verify", path, "--board", "pynq-z2-composable", "--partition", "pr_join", "--json");
            Assert.Equal(4, exit);
            var j = JsonDocument.Parse(stdout).RootElement;
            Assert.Contains("CMD IPROG: a partial may not reboot the device", j.GetProperty("reason").GetString());
            Assert.Equal(grestore.Offset, j.GetProperty("offset").GetInt64());

            var (inspectExit, inspectOut, _) = CliRunner.Run("inspect", path, "--json");
            Assert.Equal(4, inspectExit);
            var r = JsonDocument.Parse(inspectOut).RootElement;
            Assert.True(r.GetProperty("crc").GetProperty("allMatch").GetBoolean());
            Assert.False(r.GetProperty("partial").GetProperty("ok").GetBoolean());
            Assert.Contains("IPROG", r.GetProperty("commands").EnumerateArray().Select(c => c.GetString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Inspect_shows_commands_carried_by_type2_packets()
    {
        // CMD GRESTORE (30008001 0000000A) rewritten as a type 1 CMD header of no words and a type 2
        // packet carrying IPROG: the engine applies it, so inspect must show it.
        var bytes = File.ReadAllBytes(CliRunner.Fixture(Subtract));
        var bs = BitstreamReader.Read(bytes);
        var grestore = (int)bs.RegisterWrites.First(w => w.Register == (int)ConfigRegister.CMD && w.Value == (uint)ConfigCommand.GRESTORE).Offset;
        byte[] packet = [0x30, 0x00, 0x80, 0x00, 0x50, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0F];
        byte[] crafted = [.. bytes[..(grestore - 4)], .. packet, .. bytes[(grestore + 4)..]];
        BinaryPrimitives.WriteUInt32BigEndian(crafted.AsSpan(bs.PayloadOffset - 4), (uint)(crafted.Length - bs.PayloadOffset));
        var path = Write(FixCrcs(crafted));
        try
        {
            var (exit, stdout, _) = CliRunner.Run("inspect", path, "--json");

            Assert.Equal(4, exit);
            var j = JsonDocument.Parse(stdout).RootElement;
            var iprog = j.GetProperty("writes").EnumerateArray().Single(w => w.GetProperty("text").GetString() == "CMD IPROG");
            Assert.Equal(2, iprog.GetProperty("headerType").GetInt32());
            Assert.Equal(grestore + 4, iprog.GetProperty("offset").GetInt64());
            Assert.Contains("type 2 write to CMD", j.GetProperty("partial").GetProperty("reason").GetString());

            var (_, text, _) = CliRunner.Run("inspect", path);
            Assert.Contains("CMD IPROG", text);
            Assert.Contains("type 2", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Inspect_json_lists_every_register_write_and_the_mask()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", CliRunner.Fixture(Subtract), "--json");

        Assert.Equal(0, exit);
        var j = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(23, j.GetProperty("writes").GetArrayLength());
        Assert.All(j.GetProperty("writes").EnumerateArray(), w => Assert.Equal(1, w.GetProperty("headerType").GetInt32()));
        Assert.Equal(1, j.GetProperty("sessions").GetInt32());
        Assert.True(j.GetProperty("partial").GetProperty("ok").GetBoolean());
        Assert.Equal(
            ["18-43,50-59,64-73", "18-43,50-73", "0-73"],
            j.GetProperty("cfgClbMask").GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("columns").GetString()));
    }

    /// <summary>Writes the value each CRC check computes into it: a CRC write's own value never feeds the CRC (FORMAT-NOTES §8).</summary>
    private static byte[] FixCrcs(byte[] bytes)
    {
        foreach (var check in BitstreamReader.Read(bytes).CrcChecks)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((int)check.Offset), check.Computed);
        }
        return bytes;
    }

    private static string Write(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dpr-{Guid.NewGuid():N}.bit");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
