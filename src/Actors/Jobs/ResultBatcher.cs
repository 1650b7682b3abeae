using System.Data.Common;
using System.Threading.Channels;

namespace Dpr.Actors.Jobs;

/// <summary>
/// The single writer of a result store (group commit): whatever results are waiting, up to
/// <see cref="MaxBatch"/>, go to the store's <c>commit</c> at once — one transaction, one fsync or round
/// trip shared by all of them. Each caller learns whether its result was the first for its job; a
/// failed commit fails every result of its batch and not the next batch.
/// </summary>
internal sealed class ResultBatcher : IDisposable
{
    public const int MaxBatch = 512;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<(StoredResult Meta, byte[] Data)>, Task<bool[]>> _commit;
    private readonly string _store;
    private readonly Task _writer;

    /// <param name="store">The store's name, for the error of a write after <see cref="Dispose"/>.</param>
    /// <param name="commit">Stores a batch in one transaction; per result, true when it was inserted (false: the job had one).</param>
    public ResultBatcher(string store, Func<IReadOnlyList<(StoredResult Meta, byte[] Data)>, Task<bool[]>> commit)
    {
        _store = store;
        _commit = commit;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Stores a result once it is committed; false when one was already stored for the job (the first stays).</summary>
    public Task<bool> StoreAsync(StoredResult meta, byte[] data)
    {
        var pending = new Pending(meta, data, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(_store, "the result store is closed");
        }
        return pending.Done.Task;
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            try
            {
                var inserted = await _commit([.. batch.Select(p => (p.Meta, p.Data))]);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(inserted[i]);
                }
            }
            catch (Exception e) when (e is DbException or TimeoutException)
            {
                batch.ForEach(p => p.Done.TrySetException(e));
            }
            batch.Clear();
        }
    }

    /// <summary>Stores what is waiting, then closes.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(10));
    }

    private sealed record Pending(StoredResult Meta, byte[] Data, TaskCompletionSource<bool> Done);
}
