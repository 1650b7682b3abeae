using System.Data.Common;
using System.Threading.Channels;

namespace Dpr.Actors.Jobs;

/// <summary>
/// The single writer of a store (group commit): whatever items are waiting, up to <see cref="MaxBatch"/>,
/// go to the store's <c>commit</c> at once — one transaction, one fsync or round trip shared by all of
/// them. Each caller learns its item's outcome (for a result: whether it was the first for its job); a
/// failed commit fails every item of its batch and not the next batch. The result stores and the job
/// index each have one.
/// </summary>
internal sealed class GroupCommit<TItem, TOutcome> : IDisposable
{
    public const int MaxBatch = 512;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TItem>, Task<TOutcome[]>> _commit;
    private readonly string _store;
    private readonly Task _writer;

    /// <param name="store">The store's name, for the error of a write after <see cref="Dispose"/>.</param>
    /// <param name="commit">Stores a batch in one transaction; an outcome per item, in order.</param>
    public GroupCommit(string store, Func<IReadOnlyList<TItem>, Task<TOutcome[]>> commit)
    {
        _store = store;
        _commit = commit;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>The item's outcome once its batch is committed.</summary>
    public Task<TOutcome> AddAsync(TItem item)
    {
        var pending = new Pending(item, new TaskCompletionSource<TOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(_store, $"{_store} is closed");
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
                var outcomes = await _commit([.. batch.Select(p => p.Item)]);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(outcomes[i]);
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

    private sealed record Pending(TItem Item, TaskCompletionSource<TOutcome> Done);
}
