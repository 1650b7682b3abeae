using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>The default file access on a real directory tree laid out like sysfs (which cannot react, so state is preset).</summary>
public sealed class LinuxFpgaManagerPortFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpr-sysfs-").FullName;
    private readonly LinuxFpgaManagerOptions _options;

    public LinuxFpgaManagerPortFileTests()
    {
        _options = new LinuxFpgaManagerOptions
        {
            ClassDirectory = Path.Combine(_root, "sys", "class", "fpga_manager"),
            FirmwareDirectory = Path.Combine(_root, "lib", "firmware"),
        };
        Directory.CreateDirectory(_options.ManagerDirectory);
        Directory.CreateDirectory(_options.FirmwareDirectory);
        File.WriteAllText(Path.Combine(_options.ManagerDirectory, "flags"), "0\n");
        File.WriteAllText(Path.Combine(_options.ManagerDirectory, "firmware"), "");
        File.WriteAllText(Path.Combine(_options.ManagerDirectory, "state"), "operating\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Real_files_receive_the_bin_the_flags_and_the_firmware_name()
    {
        var image = new ConfigurationImage("pr_join_subtract", BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract)));

        var result = await new LinuxFpgaManagerPort(_options).WriteAsync(image, null, CancellationToken.None);

        Assert.Equal(BinConverter.ToBin(image.Bitstream), File.ReadAllBytes(Path.Combine(_options.FirmwareDirectory, "pr_join_subtract.bin")));
        Assert.Equal("1", File.ReadAllText(Path.Combine(_options.ManagerDirectory, "flags")).Trim());
        Assert.StartsWith("pr_join_subtract.bin", File.ReadAllText(Path.Combine(_options.ManagerDirectory, "firmware")));
        Assert.Equal(image.Bytes, result.Bytes);
    }

    [Fact]
    public async Task A_missing_firmware_directory_is_unavailable()
    {
        Directory.Delete(_options.FirmwareDirectory);
        var image = new ConfigurationImage("pr_join_subtract", BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract)));

        var e = await Assert.ThrowsAsync<ConfigurationPortException>(() => new LinuxFpgaManagerPort(_options).WriteAsync(image, null, CancellationToken.None));

        Assert.Equal(PortFailure.Unavailable, e.Failure);
        Assert.Equal("0", File.ReadAllText(Path.Combine(_options.ManagerDirectory, "flags")).Trim());
    }
}
