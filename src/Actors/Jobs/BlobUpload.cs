using System.Security.Cryptography;

namespace Dpr.Actors.Jobs;

/// <summary>
/// A blob written as it arrives (a request body decoded on the way, never whole in memory): to a
/// temporary file, hashed as it is written, stored under its SHA-256 by <see cref="Commit"/> and only
/// then. Disposed without a commit, it leaves nothing behind. Made by <see cref="IBlobStore.BeginPut"/>;
/// one writer at a time.
/// </summary>
public sealed class BlobUpload : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Func<BlobUpload, string> _store;
    private readonly Action<BlobUpload> _closed;
    private string? _key;
    private bool _disposed;

    /// <param name="store">Stores the finished file under <see cref="Key"/> (a rename, or a copy into a database) and returns the key.</param>
    /// <param name="closed">Called once the temporary file is gone.</param>
    internal BlobUpload(string path, Func<BlobUpload, string> store, Action<BlobUpload> closed)
    {
        TemporaryPath = path;
        _store = store;
        _closed = closed;
        // No buffer of its own: the writer hands over decoded chunks of tens of KiB.
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
    }

    /// <summary>Where the bytes are until the commit.</summary>
    public string TemporaryPath { get; }

    /// <summary>The bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// The SHA-256 of the bytes written, lower-case hex: the key the blob will have. Once it is read,
    /// nothing more can be written.
    /// </summary>
    public string Key => _key ??= Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <exception cref="IOException">The file could not be written (a full disk among other causes).</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_key is not null)
        {
            throw new InvalidOperationException("the blob's key was taken; nothing more can be written");
        }
        _file.Write(data);
        _hash.AppendData(data);
        Length += data.Length;
    }

    /// <summary>The bytes written so far, from the start, for a check that could not be made as they passed.</summary>
    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Flush();
        return new FileStream(TemporaryPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
    }

    /// <summary>Stores the blob under <see cref="Key"/> (once per content) and returns the key.</summary>
    /// <exception cref="IOException">It could not be stored; nothing is left under the key.</exception>
    public string Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ = Key;
        _file.Dispose();
        return _store(this);
    }

    /// <summary>Closes the file and deletes it if it is still there (not committed, or a copy of it was stored).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _file.Dispose();
        _hash.Dispose();
        try
        {
            File.Delete(TemporaryPath);
        }
        finally
        {
            _closed(this);
        }
    }
}
