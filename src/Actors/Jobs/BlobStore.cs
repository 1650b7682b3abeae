using System.Security.Cryptography;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Large job inputs kept out of the journal: content-addressed files (<c>./data/blobs/SHA256</c>),
/// written before the job that names them is accepted, so a stored <c>JobAccepted</c> never names a
/// blob that is not there. With a PostgreSQL journal <see cref="PostgresBlobStore"/> is used instead.
/// <para>
/// Deleting is the storage sweeper's (<see cref="JobStorageSweeperActor"/>): a blob no kept job names
/// goes, unless it was put within the grace period. That grace covers the moment between writing a
/// blob and the acceptance that names it being stored, when no job names it yet (and a refused
/// submission's blob, which no job ever names, goes after it). It is measured on the monotonic clock of
/// <see cref="TimeProvider.GetTimestamp"/> from puts made by this process, so a clock set at boot (a
/// board without a real-time clock) cannot make a fresh blob look old; after a restart nothing is in
/// flight, and what neither the recovered intake nor the job index names is free to go.
/// </para>
/// </summary>
public sealed class BlobStore(string directory, TimeProvider? time = null) : IBlobStore
{
    private const string TemporarySuffix = ".tmp";
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    /// <summary>When each blob was last put by this process (monotonic timestamps); entries past every grace are dropped by <see cref="DeleteUnnamed"/>.</summary>
    private readonly Dictionary<string, long> _putAt = new(StringComparer.Ordinal);

    /// <summary>Stores <paramref name="data"/> (once per content) and returns its key.</summary>
    /// <exception cref="IOException">The file could not be written (a full disk among other causes); nothing is left half-written under the key.</exception>
    public string Put(ReadOnlySpan<byte> data)
    {
        var key = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
        var path = Path.Combine(directory, key);
        bool exists;
        lock (_gate)
        {
            // Marked before the write and before the check: a deletion from now on leaves it alone.
            _putAt[key] = _time.GetTimestamp();
            exists = File.Exists(path);
        }
        if (!exists)
        {
            Directory.CreateDirectory(directory);
            var temp = path + $".{Guid.NewGuid():N}{TemporarySuffix}";
            try
            {
                File.WriteAllBytes(temp, data.ToArray());
                File.Move(temp, path, overwrite: true);
            }
            catch (IOException)
            {
                File.Delete(temp);
                throw;
            }
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
        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            var key = name.Split('.')[0];
            var temporary = name.EndsWith(TemporarySuffix, StringComparison.Ordinal);
            if (!IsKey(key) || (!temporary && named(key)))
            {
                continue;
            }
            lock (_gate)
            {
                // A temporary file of a write under way has its key marked as put (before the write began).
                if (PutWithin(key, grace))
                {
                    continue;
                }
                File.Delete(path);
                deleted += temporary ? 0 : 1;
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
