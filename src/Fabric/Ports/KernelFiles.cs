namespace Dpr.Fabric.Ports;

/// <summary>What the ports over the kernel's files (<see cref="LinuxFpgaManagerPort"/>, <see cref="LinuxOverlayPort"/>) share: reading an optional file, and the typed failures of a file that cannot be written and of a cancelled write.</summary>
internal static class KernelFiles
{
    /// <summary>The trimmed text of a file, or null when it cannot be read.</summary>
    public static string? ReadOptional(Func<string, string> readText, string path)
    {
        try
        {
            return readText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Runs <paramref name="action"/>; a file error is <see cref="PortFailure.Unavailable"/> with nothing written to the device.</summary>
    public static void Unavailable(string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationPortException(PortFailure.Unavailable, false, $"{what}: {e.Message}", e);
        }
    }

    /// <summary>A cancelled write stops here, <paramref name="when"/>, as a <see cref="PortFailure.Timeout"/> that touched nothing.</summary>
    public static void StopIfCancelled(CancellationToken cancellationToken, string when)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            throw new ConfigurationPortException(PortFailure.Timeout, false, $"the write was cancelled {when}",
                new OperationCanceledException(cancellationToken));
        }
    }
}
