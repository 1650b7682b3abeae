namespace Dpr.Actors.Jobs;

/// <summary>
/// A stored result opened for reading (<see cref="IResultStore.TryOpen"/>): its description, and its
/// bytes as a stream read from the store as it is consumed, never loaded whole. Holds the store's
/// connection until disposed.
/// </summary>
public sealed class ResultStream(StoredResult meta, long length, Stream data, params IDisposable[] owners) : IDisposable
{
    public StoredResult Meta { get; } = meta;

    /// <summary>How many bytes <see cref="Data"/> has.</summary>
    public long Length { get; } = length;

    public Stream Data { get; } = data;

    /// <summary>Closes the stream, then what it was read through (reader, command, connection), in that order.</summary>
    public void Dispose()
    {
        Data.Dispose();
        foreach (var owner in owners)
        {
            owner.Dispose();
        }
    }
}
