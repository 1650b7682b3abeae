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

    /// <summary>
    /// A blob written a chunk at a time as it arrives, hashed on the way, and stored under its key only
    /// when committed (<see cref="BlobUpload.Commit"/>); disposed without a commit, nothing is left.
    /// </summary>
    BlobUpload BeginPut();

    /// <summary>The blob's bytes, checked against its key.</summary>
    /// <exception cref="IOException">The blob is missing, does not match its key, or could not be read.</exception>
    byte[] Get(string key);

    /// <summary>
    /// Deletes the blob unless it was put within <paramref name="grace"/> (a submission naming it may be
    /// on its way); true when it is gone. The caller knows no stored job names it.
    /// </summary>
    bool Delete(string key, TimeSpan grace);

    /// <summary>
    /// Deletes every blob <paramref name="named"/> says no kept job names and that was not put within
    /// <paramref name="grace"/>; returns how many went. <paramref name="named"/> must come from the
    /// intake's state taken before this call (and the job index).
    /// </summary>
    int DeleteUnnamed(Func<string, bool> named, TimeSpan grace);
}
