namespace Dpr.Actors.Jobs;

/// <summary>
/// The temporary files of a blob store's uploads (<see cref="BlobUpload"/>): <c>upload-GUID.tmp</c> in
/// one directory, and which of them are being written by this process. A file no upload of this
/// process writes was cut off by a crash (or an older version's write) and is free to go.
/// </summary>
internal sealed class BlobUploads(string directory)
{
    public const string TemporarySuffix = ".tmp";
    private const string Prefix = "upload-";
    private readonly Lock _gate = new();
    private readonly HashSet<string> _writing = new(StringComparer.Ordinal);

    public string Location { get; } = directory;

    /// <param name="store">Stores a finished upload's file under its key; returns the key.</param>
    public BlobUpload Begin(Func<BlobUpload, string> store)
    {
        Directory.CreateDirectory(Location);
        var path = Path.Combine(Location, $"{Prefix}{Guid.NewGuid():N}{TemporarySuffix}");
        lock (_gate)
        {
            // Marked before the file exists: a sweep from now on leaves it alone.
            _writing.Add(path);
        }
        try
        {
            return new BlobUpload(path, store, Closed);
        }
        catch
        {
            Closed(path);
            throw;
        }
    }

    /// <summary>Deletes every temporary file (<c>*.tmp</c>) in the directory that no upload of this process is writing; returns how many went.</summary>
    public int DeleteAbandoned()
    {
        if (!Directory.Exists(Location))
        {
            return 0;
        }
        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(Location, "*" + TemporarySuffix))
        {
            lock (_gate)
            {
                if (!_writing.Contains(path))
                {
                    File.Delete(path);
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private void Closed(BlobUpload upload) => Closed(upload.TemporaryPath);

    private void Closed(string path)
    {
        lock (_gate)
        {
            _writing.Remove(path);
        }
    }
}
