using System.Text.Json;

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
                  {"name":"rp","frames":[{"blockType":"CLB_IO_CLK","half":"top","row":0,"firstColumn":60,"lastColumn":63}]}]}
                """);
            var (exit, stdout, _) = CliRunner.Run("verify", CliRunner.Fixture(Subtract), "--board", board, "--partition", "rp", "--json");

            Assert.Equal(0, exit);
            var j = JsonDocument.Parse(stdout).RootElement;
            Assert.True(j.GetProperty("fits").GetBoolean());
            Assert.Equal("join-only", j.GetProperty("board").GetString());
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
}
