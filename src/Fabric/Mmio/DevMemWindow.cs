using System.Runtime.InteropServices;

namespace Dpr.Fabric.Mmio;

/// <summary>
/// Physical memory or registers on the board through <c>/dev/mem</c>: the window is mapped with
/// <c>mmap(MAP_SHARED)</c> from a descriptor opened <c>O_RDWR | O_SYNC</c> (uncached, as PYNQ's
/// <c>MMIO</c> does), from the page that holds <see cref="BaseAddress"/>; 32-bit accesses are volatile
/// loads and stores of the mapped word. The same checks as <see cref="InMemoryWindow"/>. Linux only;
/// the device path can name any mappable file (tests map a temporary file).
/// </summary>
/// <remarks>Dispose must not race an access on another thread: the mapping is gone after it.</remarks>
public sealed unsafe partial class DevMemWindow : IMemoryWindow
{
    public const string DefaultDevice = "/dev/mem";

    private const string LibC = "libc";

    // Linux generic ABI values (asm-generic/fcntl.h, asm-generic/mman-common.h), the same on x86-64 and ARM.
    private const int O_RDWR = 0x2;
    private const int O_SYNC = 0x101000;
    private const int O_CLOEXEC = 0x80000;
    private const int PROT_READ = 0x1;
    private const int PROT_WRITE = 0x2;
    private const int MAP_SHARED = 0x1;

    private readonly string _device;
    private byte* _mapping;
    private readonly nuint _mappedLength;
    private readonly byte* _window;

    private DevMemWindow(string device, ulong baseAddress, long length, byte* mapping, nuint mappedLength, byte* window)
    {
        _device = device;
        BaseAddress = baseAddress;
        Length = length;
        _mapping = mapping;
        _mappedLength = mappedLength;
        _window = window;
    }

    ~DevMemWindow() => Unmap();

    public ulong BaseAddress { get; }

    public long Length { get; }

    /// <summary>Maps <paramref name="length"/> bytes of physical memory from <paramref name="baseAddress"/> (any alignment).</summary>
    public static DevMemWindow Open(ulong baseAddress, long length, string device = DefaultDevice)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new MmioException(baseAddress, $"{device} can only be mapped on Linux, not on {RuntimeInformation.OSDescription}");
        }
        if (length <= 0)
        {
            throw new MmioException(baseAddress, $"a memory window needs a positive length, not {length}");
        }
        var pageSize = (ulong)Environment.SystemPageSize;
        var pageBase = baseAddress & ~(pageSize - 1);
        var inPage = baseAddress - pageBase;
        var mappedLength = (inPage + (ulong)length + pageSize - 1) & ~(pageSize - 1);
        if (mappedLength > nuint.MaxValue)
        {
            throw new MmioException(baseAddress, $"a {length}-byte window does not fit this process's address space");
        }

        var fd = OpenFile(device, O_RDWR | O_SYNC | O_CLOEXEC);
        if (fd < 0)
        {
            throw Errno(baseAddress, $"cannot open {device}", Marshal.GetLastPInvokeError());
        }
        try
        {
            // On a 32-bit process (the PYNQ-Z2's armhf) mmap's off_t is 32 bits and signed; mmap64
            // takes the physical addresses above 2 GiB (the Zynq's M_AXI_GP1 at 0x80000000).
            var mapping = IntPtr.Size == 4
                ? Map64(null, (nuint)mappedLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (long)pageBase)
                : Map(null, (nuint)mappedLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (nint)pageBase);
            if (mapping == (void*)-1)
            {
                throw Errno(baseAddress, $"cannot map {mappedLength} bytes of {device} at 0x{pageBase:X8}", Marshal.GetLastPInvokeError());
            }
            return new DevMemWindow(device, baseAddress, length, (byte*)mapping, (nuint)mappedLength, (byte*)mapping + inPage);
        }
        finally
        {
            // The mapping holds its own reference to the file.
            Close(fd);
        }
    }

    public uint Read32(long offset) => Volatile.Read(ref *(uint*)At(offset, 4, aligned: true));

    public void Write32(long offset, uint value) => Volatile.Write(ref *(uint*)At(offset, 4, aligned: true), value);

    public void Read(long offset, Span<byte> destination) =>
        new ReadOnlySpan<byte>(At(offset, destination.Length, aligned: false), destination.Length).CopyTo(destination);

    public void Write(long offset, ReadOnlySpan<byte> source) =>
        source.CopyTo(new Span<byte>(At(offset, source.Length, aligned: false), source.Length));

    public void Dispose()
    {
        Unmap();
        GC.SuppressFinalize(this);
    }

    public override string ToString() => $"{_device} 0x{BaseAddress:X8}+0x{Length:X}";

    private byte* At(long offset, int count, bool aligned)
    {
        var address = BaseAddress + (ulong)offset;
        if (_mapping is null)
        {
            throw new MmioException(address, "the memory window is closed");
        }
        if (offset < 0 || count < 0 || offset + count > Length)
        {
            throw new MmioException(address, $"access of {count} bytes at offset {offset} is outside the {Length}-byte window at 0x{BaseAddress:X8}");
        }
        if (aligned && offset % 4 != 0)
        {
            throw new MmioException(address, "32-bit register access must be 4-byte aligned");
        }
        return _window + offset;
    }

    private void Unmap()
    {
        if (_mapping is not null)
        {
            Unmap(_mapping, _mappedLength);
            _mapping = null;
        }
    }

    private static MmioException Errno(ulong address, string what, int errno) =>
        new(address, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Map(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(LibC, EntryPoint = "mmap64", SetLastError = true)]
    private static partial void* Map64(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(LibC, EntryPoint = "munmap", SetLastError = true)]
    private static partial int Unmap(void* address, nuint length);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
