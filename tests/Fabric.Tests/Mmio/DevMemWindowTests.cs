using System.Buffers.Binary;
using Dpr.Fabric.Mmio;

namespace Dpr.Fabric.Tests.Mmio;

/// <summary>
/// <see cref="DevMemWindow"/> over a regular temporary file instead of <c>/dev/mem</c>: a shared file
/// mapping goes through the same open/mmap/munmap path and its stores land in the file. Linux only.
/// </summary>
public sealed class DevMemWindowTests : IDisposable
{
    private const int FileLength = 3 * 4096;

    /// <summary>Not page-aligned on purpose: the window starts 0x10 bytes into the file's second page.</summary>
    private const ulong Base = 0x1010;

    private readonly string _path = Path.GetTempFileName();

    public DevMemWindowTests()
    {
        var bytes = new byte[FileLength];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)i;
        }
        File.WriteAllBytes(_path, bytes);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Reads_see_the_file_from_the_unaligned_base()
    {
        using var window = DevMemWindow.Open(Base, 64, _path);

        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(_path).AsSpan((int)Base + 8)), window.Read32(8));
        var bytes = new byte[5];
        window.Read(3, bytes);
        Assert.Equal(new byte[] { 0x13, 0x14, 0x15, 0x16, 0x17 }, bytes);
    }

    [Fact]
    public void Writes_land_in_the_file_at_base_plus_offset()
    {
        using (var window = DevMemWindow.Open(Base, 64, _path))
        {
            window.Write32(4, 0xDEADBEEF);
            window.Write(60, [0xA1, 0xA2, 0xA3, 0xA4]);
            Assert.Equal(0xDEADBEEFu, window.Read32(4));
        }

        var file = File.ReadAllBytes(_path);
        Assert.Equal(new byte[] { 0xEF, 0xBE, 0xAD, 0xDE }, file.AsSpan((int)Base + 4, 4).ToArray());
        Assert.Equal(new byte[] { 0xA1, 0xA2, 0xA3, 0xA4 }, file.AsSpan((int)Base + 60, 4).ToArray());
        Assert.Equal((byte)((Base + 3) & 0xFF), file[Base + 3]);
        Assert.Equal(FileLength, file.Length);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(-4)]
    [InlineData(62)]
    public void Accesses_outside_the_window_name_the_address(long offset)
    {
        using var window = DevMemWindow.Open(Base, 64, _path);

        var e = Assert.Throws<MmioException>(() => window.Read32(offset));

        Assert.Equal(Base + (ulong)offset, e.Address);
    }

    [Fact]
    public void A_byte_range_running_past_the_end_is_refused()
    {
        using var window = DevMemWindow.Open(Base, 64, _path);

        var e = Assert.Throws<MmioException>(() => window.Write(60, new byte[8]));

        Assert.Equal(Base + 60, e.Address);
        Assert.Contains("outside the 64-byte window", e.Message);
    }

    [Fact]
    public void Register_accesses_must_be_aligned()
    {
        using var window = DevMemWindow.Open(Base, 64, _path);

        var e = Assert.Throws<MmioException>(() => window.Write32(2, 1));

        Assert.Equal(Base + 2, e.Address);
        Assert.Contains("aligned", e.Message);
    }

    [Fact]
    public void A_disposed_window_refuses_every_access()
    {
        var window = DevMemWindow.Open(Base, 64, _path);
        window.Dispose();
        window.Dispose();

        var e = Assert.Throws<MmioException>(() => window.Read32(0));

        Assert.Contains("closed", e.Message);
        Assert.Equal(Base, e.Address);
    }

    [Fact]
    public void A_missing_device_is_a_typed_error_with_the_errno()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"dpr-no-such-device-{Guid.NewGuid():N}");

        var e = Assert.Throws<MmioException>(() => DevMemWindow.Open(0x43C00000, 0x10000, missing));

        Assert.Equal(0x43C00000ul, e.Address);
        Assert.Contains(missing, e.Message);
        Assert.Contains("errno 2", e.Message);
    }

    [Fact]
    public void A_window_needs_a_positive_length()
    {
        var e = Assert.Throws<MmioException>(() => DevMemWindow.Open(Base, 0, _path));

        Assert.Equal(Base, e.Address);
    }
}
