using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Tests.Mmio;

public class DevMemPhysicalMemoryTests
{
    [Fact]
    public void Maps_windows_of_the_device_file_once_each()
    {
        using var dir = new TempDirectory();
        var file = dir.File("mem");
        File.WriteAllBytes(file, new byte[0x3000]);
        using var memory = new DevMemPhysicalMemory(file);

        var window = memory.Map(0x1000, 0x100);
        window.Write32(8, 0xCAFEF00D);

        Assert.Same(window, memory.Map(0x1000, 0x100));
        Assert.Equal(0xCAFEF00Du, memory.Map(0x1000, 0x100).Read32(8));
        memory.Dispose();
        Assert.Equal([0x0D, 0xF0, 0xFE, 0xCA], File.ReadAllBytes(file)[0x1008..0x100C]);
    }
}
