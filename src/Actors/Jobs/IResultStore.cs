namespace Dpr.Actors.Jobs;

/// <summary>
/// Where job results are kept, written once per job id: an SQLite file in the data directory
/// (<see cref="ResultStore"/>), or, with a PostgreSQL journal, that database (<see cref="PostgresResultStore"/>),
/// which several hosts share.
/// </summary>
public interface IResultStore : IDisposable
{
    /// <summary>Stores a result once it is committed; false when one was already stored for the job (the first stays).</summary>
    Task<bool> StoreAsync(StoredResult meta, byte[] data);

    (StoredResult Meta, byte[] Data)? TryLoad(Guid jobId);

    /// <summary>The result of <paramref name="jobId"/> opened for reading a chunk at a time; null when none is stored.</summary>
    ResultStream? TryOpen(Guid jobId);

    /// <summary>Deletes the results of <paramref name="jobIds"/> (jobs past the retention); returns how many there were.</summary>
    int Delete(IEnumerable<Guid> jobIds);

    /// <summary>
    /// Deletes results stored before <paramref name="now"/> minus the retention whose job
    /// <paramref name="known"/> says is no longer kept (a deletion a crash cut off), a page at a time;
    /// returns how many.
    /// </summary>
    int Prune(DateTimeOffset now, Func<Guid, bool> known);
}
