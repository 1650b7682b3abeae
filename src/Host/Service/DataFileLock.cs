namespace Dpr.Host.Service;

/// <summary>
/// A lock between processes on a file of the data directory (<c>tenants.json</c>, the audit inbox): the
/// service and <c>dpr tenants</c> both change them. An exclusive open of <c>NAME.lock</c> (on Linux .NET
/// takes an advisory <c>flock</c> for <see cref="FileShare.None"/>), retried for a few seconds.
/// </summary>
public sealed class DataFileLock : IDisposable
{
    private readonly FileStream _stream;

    private DataFileLock(FileStream stream) => _stream = stream;

    /// <exception cref="IOException">Another process held the lock for longer than <paramref name="wait"/>.</exception>
    public static DataFileLock Acquire(string path, TimeSpan? wait = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var until = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                return new DataFileLock(new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                Thread.Sleep(20);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
