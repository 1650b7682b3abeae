using System.Security.Cryptography;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Large job inputs kept out of the journal: content-addressed files (<c>./data/blobs/SHA256</c>),
/// written before the job that names them is accepted, so a stored <c>JobAccepted</c> never names a
/// blob that is not there. An input is written as its request is read (<see cref="BeginPut"/>): to a
/// temporary file beside the blobs, renamed to its SHA-256 once the request has passed its checks.
/// With a PostgreSQL journal <see cref="PostgresBlobStore"/> is used instead.
/// <para>
/// Deleting is the storage sweeper's (<see cref="JobStorageSweeperActor"/>): a blob no kept job names
/// goes, unless it was put within the grace period. That grace covers the moment between storing a
/// blob and the acceptance that names it being stored, when no job names it yet (and a refused
/// submission's blob, which no job ever names, goes after it). It is measured on the monotonic clock of
/// <see cref="TimeProvider.GetTimestamp"/> from puts made by this process, so a clock set at boot (a
/// board without a real-time clock) cannot make a fresh blob look old; after a restart nothing is in
/// flight, and what neither the recovered intake nor the job index names is free to go. A temporary
/// file goes with the sweep unless this process is writing it.
/// </para>
/// </summary>
public sealed class BlobStore(string directory, TimeProvider? time = null) : IBlobStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    /// <summary>When each blob was last put by this process (monotonic timestamps); entries past every grace are dropped by <see cref="DeleteUnnamed"/>.</summary>
    private readonly Dictionary<string, long> _putAt = new(StringComparer.Ordinal);
    private readonly BlobUploads _uploads = new(directory);

    /// <summary>Stores <paramref name="data"/> (once per content) and returns its key.</summary>
    /// <exception cref="IOException">The file could not be written (a full disk among other causes); nothing is left half-written under the key.</exception>
    public string Put(ReadOnlySpan<byte> data)
    {
        using var upload = BeginPut();
        upload.Write(data);
        return upload.Commit();
    }

    /// <summary>A blob written as it arrives, stored by its commit (a rename); see <see cref="BlobUpload"/>.</summary>
    public BlobUpload BeginPut() => _uploads.Begin(Store);

    private string Store(BlobUpload upload)
    {
        var key = upload.Key;
        var path = Path.Combine(directory, key);
        bool exists;
        lock (_gate)
        {
            // Marked before the rename and before the check: a deletion from now on leaves it alone.
            _putAt[key] = _time.GetTimestamp();
            exists = File.Exists(path);
        }
        if (!exists)
        {
            File.Move(upload.TemporaryPath, path, overwrite: true);
        }
        return key;
    }

    /// <summary>The blob's bytes, checked against its key.</summary>
    public byte[] Get(string key)
    {
        var path = Path.Combine(directory, key);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"blob {key} is missing from {directory}", path);
        }
        var data = File.ReadAllBytes(path);
        if (!string.Equals(Convert.ToHexString(SHA256.HashData(data)), key, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"blob {key} in {directory} does not match its hash");
        }
        return data;
    }

    public bool Contains(string key) => File.Exists(Path.Combine(directory, key));

    /// <summary>
    /// Deletes the blob unless it was put within <paramref name="grace"/> (a submission naming it may be
    /// on its way); true when it is gone. The caller knows no stored job names it.
    /// </summary>
    public bool Delete(string key, TimeSpan grace)
    {
        if (!IsKey(key))
        {
            throw new ArgumentException($"'{key}' is not a blob key", nameof(key));
        }
        lock (_gate)
        {
            if (PutWithin(key, grace))
            {
                return false;
            }
            _putAt.Remove(key);
            File.Delete(Path.Combine(directory, key));
            return true;
        }
    }

    /// <summary>
    /// Deletes every blob <paramref name="named"/> says no kept job names and that was not put within
    /// <paramref name="grace"/>, and the temporary files of writes a crash cut off; returns how many
    /// blobs went. <paramref name="named"/> must come from the intake's state taken before this call (and the job index).
    /// </summary>
    public int DeleteUnnamed(Func<string, bool> named, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(named);
        if (!Directory.Exists(directory))
        {
            return 0;
        }
        _uploads.DeleteAbandoned();
        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var key = Path.GetFileName(path);
            if (!IsKey(key) || named(key))
            {
                continue;
            }
            lock (_gate)
            {
                if (PutWithin(key, grace))
                {
                    continue;
                }
                File.Delete(path);
                deleted++;
            }
        }
        lock (_gate)
        {
            foreach (var key in _putAt.Where(p => !PutWithin(p.Key, grace)).Select(p => p.Key).ToList())
            {
                _putAt.Remove(key);
            }
        }
        return deleted;
    }

    /// <summary>How many blobs are stored.</summary>
    public int Count() => Directory.Exists(directory)
        ? Directory.EnumerateFiles(directory).Count(f => IsKey(Path.GetFileName(f)))
        : 0;

    private bool PutWithin(string key, TimeSpan grace) =>
        _putAt.TryGetValue(key, out var at) && _time.GetElapsedTime(at) < grace;

    /// <summary>A lower-case SHA-256 in hex: the only names this store makes (anything else in the directory is left alone).</summary>
    private static bool IsKey(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);
}
