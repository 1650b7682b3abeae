using System.Security.Cryptography;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Large job inputs kept out of the journal: content-addressed files (<c>./data/blobs/SHA256</c>),
/// written before the job that names them is accepted, so a stored <c>JobAccepted</c> never names a
/// blob that is not there. With a PostgreSQL journal <see cref="PostgresBlobStore"/> is used instead.
/// </summary>
public sealed class BlobStore(string directory) : IBlobStore
{
    /// <summary>Stores <paramref name="data"/> (once per content) and returns its key.</summary>
    public string Put(ReadOnlySpan<byte> data)
    {
        var key = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
        var path = Path.Combine(directory, key);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(directory);
            var temp = path + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temp, data.ToArray());
            File.Move(temp, path, overwrite: true);
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
}
