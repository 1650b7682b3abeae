using System.Collections.Concurrent;
using Dpr.Actors.Jobs;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>
/// An <see cref="IJobIndex"/> in memory whose writes and key look-ups a test can hold, fail and release, to
/// put the intake's messages in the order it wants: a record is visible only once its write is released.
/// </summary>
internal sealed class GatedJobIndex : IJobIndex
{
    private readonly ConcurrentDictionary<Guid, JobRecord> _rows = new();
    private TaskCompletionSource _writes = Open();
    private TaskCompletionSource _lookUps = Open();
    private int _writesStarted;
    private int _lookUpsStarted;

    public JobRecord? this[Guid jobId] => _rows.GetValueOrDefault(jobId);

    public int Count => _rows.Count;

    /// <summary>Writes fail (as a database that is down) until <see cref="FailWrites"/> is called with false.</summary>
    public bool WritesFail { get; private set; }

    public int WritesStarted => Volatile.Read(ref _writesStarted);

    public int LookUpsStarted => Volatile.Read(ref _lookUpsStarted);

    public void HoldWrites() => _writes = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseWrites() => _writes.TrySetResult();

    public void FailWrites(bool fail) => WritesFail = fail;

    public void HoldLookUps() => _lookUps = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseLookUps() => _lookUps.TrySetResult();

    public async Task StoreAsync(IReadOnlyCollection<JobRecord> jobs)
    {
        Interlocked.Increment(ref _writesStarted);
        await _writes.Task;
        if (WritesFail)
        {
            throw new InvalidOperationException("the index is down");
        }
        foreach (var job in jobs)
        {
            _rows.TryAdd(job.JobId, job);
        }
    }

    public JobRecord? Find(Guid jobId) => this[jobId];

    public IReadOnlyDictionary<(string Tenant, string Key), Guid> FindKeys(IReadOnlyCollection<(string Tenant, string Key)> keys)
    {
        Interlocked.Increment(ref _lookUpsStarted);
        _lookUps.Task.Wait();
        return _rows.Values.Where(j => j.IdempotencyKey is not null && keys.Contains((j.Tenant, j.IdempotencyKey))).ToDictionary(j => (j.Tenant, j.IdempotencyKey!), j => j.JobId);
    }

    public IReadOnlyList<JobRecord> List(string tenant, JobState? state, int limit) =>
        [.. _rows.Values.Where(j => j.Tenant == tenant && (state is null || j.State == state)).OrderByDescending(j => j.AcceptedAt).ThenByDescending(j => j.JobId).Take(limit)];

    public bool Names(string key) => _rows.Values.Any(j => j.InputBlob == key);

    public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset horizon, int limit) =>
        [.. _rows.Values.Where(j => j.FinishedAt < horizon).OrderBy(j => j.FinishedAt).Take(limit)];

    public int Delete(IReadOnlyCollection<Guid> jobIds) => jobIds.Count(id => _rows.TryRemove(id, out _));

    public void Dispose()
    {
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
