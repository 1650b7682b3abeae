namespace Dpr.Host.Service;

/// <summary>
/// Room on the data directory's filesystem. Below <c>Dpr:MinFreeDiskMegabytes</c> new jobs are refused
/// (507), so the room that is left goes to the jobs already accepted — their events, their results —
/// and a full disk never costs an accepted job. The free-space reading is injectable so tests can fill
/// the disk.
/// </summary>
/// <param name="freeBytes">Free bytes of the filesystem holding a directory; <see cref="Available"/> by default.</param>
public sealed class DiskSpace(string directory, long minimumFreeBytes, Func<string, long>? freeBytes = null)
{
    private readonly Func<string, long> _freeBytes = freeBytes ?? Available;

    private const string Consequence = "new jobs are refused until space is freed; jobs already accepted still run";

    public long Free() => _freeBytes(directory);

    /// <summary>The free bytes when they are fewer than the minimum; null when there is room (or the check is off: a minimum of 0).</summary>
    public long? Short()
    {
        if (minimumFreeBytes <= 0)
        {
            return null;
        }
        var free = Free();
        return free < minimumFreeBytes ? free : null;
    }

    /// <summary>Why new work is refused, naming the directory and its free bytes.</summary>
    public string Refusal(long free) =>
        $"the data directory {directory} has {free} bytes free ({free / (1024.0 * 1024):0.#} MB), less than Dpr:MinFreeDiskMegabytes ({minimumFreeBytes / (1024 * 1024)} MB); {Consequence}";

    /// <summary>Why a write failed on a full disk (<see cref="IsFull"/>), naming the directory and its free bytes.</summary>
    public string Refusal(IOException full)
    {
        ArgumentNullException.ThrowIfNull(full);
        return $"the disk of the data directory {directory} is full ({full.Message}; {Free()} bytes free); {Consequence}";
    }

    /// <summary>What the OS says is available to this process on the filesystem holding <paramref name="directory"/> (or its nearest existing parent).</summary>
    public static long Available(string directory)
    {
        var path = Path.GetFullPath(directory);
        while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent)
        {
            path = parent;
        }
        // On Unix a DriveInfo of any directory reads statvfs of it, i.e. of the filesystem it is on.
        return new DriveInfo(path).AvailableFreeSpace;
    }

    /// <summary>
    /// The write failed because the disk is full: ENOSPC (28) on Linux and macOS, where .NET keeps the errno
    /// as the HResult; ERROR_DISK_FULL (0x70) or ERROR_HANDLE_DISK_FULL (0x27) in the HResult on Windows.
    /// </summary>
    public static bool IsFull(IOException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 0x70 or 0x27 : e.HResult == 28;
    }
}
