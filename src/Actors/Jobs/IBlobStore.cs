namespace Dpr.Actors.Jobs;

/// <summary>
/// Large job inputs kept out of the journal, addressed by their SHA-256: files in the data directory
/// (<see cref="BlobStore"/>), or, with a PostgreSQL journal, that database (<see cref="PostgresBlobStore"/>),
/// so a job accepted by one host can be run by another.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="data"/> (once per content) and returns its key.</summary>
    string Put(ReadOnlySpan<byte> data);

    /// <summary>The blob's bytes, checked against its key.</summary>
    /// <exception cref="IOException">The blob is missing, does not match its key, or could not be read.</exception>
    byte[] Get(string key);
}
