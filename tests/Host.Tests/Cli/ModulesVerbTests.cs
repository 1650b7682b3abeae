namespace Dpr.Host.Tests.Cli;

public class ModulesVerbTests
{
    [Fact]
    public void Keygen_init_sign_and_verify()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dpr-modules-{Guid.NewGuid():N}");
        try
        {
            var key = Path.Combine(dir, "k");
            Directory.CreateDirectory(dir);
            Assert.Equal(0, CliRunner.Run("modules", "keygen", key).Exit);
            Assert.Equal(0, CliRunner.Run("modules", "init", Path.Combine(dir, "cat"), "--board", "pynq-z2").Exit);

            var (unsignedExit, unsignedOut, _) = CliRunner.Run("modules", "verify", Path.Combine(dir, "cat"), "--board", "pynq-z2", "--require-signed");
            Assert.Equal(2, unsignedExit);
            Assert.Contains("the manifest is not signed", unsignedOut);

            var manifests = Directory.GetFiles(Path.Combine(dir, "cat"), "*.module.json");
            Assert.Equal(0, CliRunner.Run(["modules", "sign", .. manifests, "--key", key + ".key.pem"]).Exit);
            var (exit, stdout, _) = CliRunner.Run("modules", "verify", Path.Combine(dir, "cat"), "--board", "pynq-z2", "--trust", key + ".pub.pem", "--require-signed");
            Assert.Equal(0, exit);
            Assert.Contains("conv5x5_int32", stdout);
            Assert.Equal(6, stdout.Split("(synthetic)").Length - 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Synth_refuses_a_module_the_partition_cannot_host()
    {
        var (exit, _, stderr) = CliRunner.Run("bitstream", "synth", "--board", "pynq-z2", "--partition", "conv", "--module", "conv7x7_int8", Path.GetTempFileName());

        Assert.Equal(1, exit);
        Assert.Contains("hosts convolution modules", stderr);
    }
}
