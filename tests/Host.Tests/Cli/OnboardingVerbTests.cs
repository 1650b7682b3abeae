using Dpr.Fabric.Boards;

namespace Dpr.Host.Tests.Cli;

/// <summary><c>dpr modules add</c> and <c>dpr boards derive</c> on the real Vivado files of ../shared/fixtures/real.</summary>
public sealed class OnboardingVerbTests : IDisposable
{
    private const string Static = "cv_dfx_4_pr.bit";

    private static readonly (string Partial, string Partition)[] Partials =
    [
        ("cv_dfx_4_pr_composable_pr_0_dilate_erode_partial.bit", "pr_0"),
        ("cv_dfx_4_pr_composable_pr_1_cornerharris_fifo_partial.bit", "pr_1"),
        ("cv_dfx_4_pr_composable_pr_fork_duplicate_partial.bit", "pr_fork"),
        ("cv_dfx_4_pr_composable_pr_join_subtract_partial.bit", "pr_join"),
        ("cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit", "pr_join"),
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"dpr-onboard-{Guid.NewGuid():N}");

    public OnboardingVerbTests() => Directory.CreateDirectory(_dir);

    private string Data => Path.Combine(_dir, "data");

    private string Modules => Path.Combine(Data, "modules");

    [Fact]
    public void Modules_add_puts_each_real_partial_in_its_own_partition_signed()
    {
        var key = Path.Combine(_dir, "release");
        Assert.Equal(0, CliRunner.Run("modules", "keygen", key).Exit);

        foreach (var (partial, partition) in Partials)
        {
            var (exit, stdout, stderr) = CliRunner.Run(
                "modules", "add", CliRunner.Fixture(partial), "--hwh", CliRunner.Fixture(Path.ChangeExtension(partial, ".hwh")),
                "--board", "pynq-z2-composable", "--data", Data, "--key", key + ".key.pem");

            Assert.True(exit == 0, stderr);
            var name = "composable_" + partial["cv_dfx_4_pr_composable_".Length..^"_partial.bit".Length];
            Assert.StartsWith($"added {name} to partition {partition} of board pynq-z2-composable: ", stdout);
            Assert.Contains($"fits partition '{partition}'", stdout);
            Assert.Contains("signed with key", stdout);
            Assert.True(File.Exists(Path.Combine(Modules, name + ".module.json")));
        }

        // The catalog the service reads holds five signed modules, good with the public key and signatures required.
        var (verified, table, _) = CliRunner.Run("modules", "verify", Modules, "--board", "pynq-z2-composable", "--trust", key + ".pub.pem", "--require-signed");
        Assert.Equal(0, verified);
        Assert.Equal(5, table.Split(" yes ").Length - 1);
    }

    [Fact]
    public void Modules_add_names_the_module_as_asked_and_refuses_the_name_twice()
    {
        var partial = CliRunner.Fixture(Partials[3].Partial);
        Assert.Equal(0, CliRunner.Run("modules", "add", partial, "--name", "subtract", "--board", "pynq-z2-composable", "--data", Data).Exit);

        var (exit, _, stderr) = CliRunner.Run("modules", "add", CliRunner.Fixture(Partials[4].Partial), "--name", "subtract", "--board", "pynq-z2-composable", "--data", Data);

        Assert.Equal(2, exit);
        Assert.Contains("dpr modules add: refused cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit: name: ", stderr);
        Assert.Contains("already exists", stderr);
        Assert.Equal(["subtract.bit", "subtract.module.json"], Directory.GetFiles(Modules).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("pr_0_gpio.bit", 4, "it fits no partition of board 'pynq-z2-composable': pr_0: the bitstream writes 72 of the 1088 frames of partition 'pr_0'")]
    [InlineData("pr_0_gpio.bit", 4, "pr_join: 72 frames lie outside partition 'pr_join', the first at 0x00400D00 (CLB_IO_CLK B0 column 26 minor 0)")]
    [InlineData("zybo_swbut_design.bit", 5, "the bitstream is for xc7z010 (IDCODE 0x03722093")]
    [InlineData("arty-a7_swbut_design.bit", 5, "the bitstream is for xc7a35t (IDCODE 0x0362D093")]
    [InlineData("cv_dfx_4_pr.bit", 4, "this is a full bitstream: it rewrites the whole xc7z020")]
    public void Modules_add_refuses_what_fits_no_partition_with_the_reason_and_writes_nothing(string file, int code, string reason)
    {
        var (exit, stdout, stderr) = CliRunner.Run("modules", "add", CliRunner.Fixture(file), "--board", "pynq-z2-composable", "--data", Data);

        Assert.Equal(code, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith($"dpr modules add: refused {file}: ", stderr);
        Assert.Contains(reason, stderr);
        Assert.False(Directory.Exists(Modules) && Directory.EnumerateFileSystemEntries(Modules).Any());
    }

    [Fact]
    public void Boards_derive_writes_the_composable_profile_from_the_real_files_and_its_partials_then_fit()
    {
        var output = Path.Combine(_dir, "overlay.board.json");

        var (exit, stdout, stderr) = CliRunner.Run(["boards", "derive", CliRunner.Fixture(Static), .. Partials.Select(p => CliRunner.Fixture(p.Partial)), "--name", "overlay", "-o", output]);

        Assert.True(exit == 0, stderr);
        Assert.StartsWith($"wrote {output}: board overlay, xc7z020, 4 partitions, fabric clock 100 MHz", stdout);
        Assert.Contains("  pr_join: 144 frames (CLB_IO_CLK T0 columns 60-63), modules at 0x400B0000 (0x10000 bytes), from cv_dfx_4_pr_composable_pr_join_subtract_partial.bit, cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit", stdout);
        Assert.Contains("partitions[0].decoupler", stdout);
        var derived = BoardCatalog.Load(output);
        var builtIn = BoardCatalog.Load("pynq-z2-composable");
        foreach (var partition in builtIn.Partitions)
        {
            Assert.Equal(partition.Frames.ToHashSet(), derived.Partition(partition.Name).Frames.ToHashSet());
            Assert.Equal(partition.ModuleAddress, derived.Partition(partition.Name).ModuleAddress);
        }

        // The derived profile is a board modules add works with.
        var (added, addOut, addErr) = CliRunner.Run("modules", "add", CliRunner.Fixture(Partials[1].Partial), "--board", output, "--data", Data);
        Assert.True(added == 0, addErr);
        Assert.StartsWith("added cv_dfx_4_pr_composable_pr_1_cornerharris_fifo to partition pr_1 of board overlay", addOut);
    }

    [Theory]
    [InlineData("pr_0_gpio.bit", 4, "it was built for design 'prio_wrapper', the static design is 'video_cp_wrapper'")]
    [InlineData("zybo_swbut_design.bit", 5, "it is for xc7z010 (IDCODE 0x03722093 at byte offset 227); the static design is for xc7z020")]
    [InlineData("arty-a7_swbut_design.bit", 5, "it is for xc7a35t")]
    public void Boards_derive_refuses_a_file_of_another_design_or_device_and_writes_nothing(string file, int code, string reason)
    {
        var output = Path.Combine(_dir, "x.board.json");

        var (exit, _, stderr) = CliRunner.Run("boards", "derive", CliRunner.Fixture(Static), CliRunner.Fixture(Partials[0].Partial), CliRunner.Fixture(file), "-o", output);

        Assert.Equal(code, exit);
        Assert.Equal($"dpr boards derive: refused {file}: {reason}", stderr.Trim()[..$"dpr boards derive: refused {file}: {reason}".Length]);
        Assert.False(File.Exists(output));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
