using System.Collections.Concurrent;

namespace Dpr.Host.Bench.Soak;

/// <summary>
/// The soak's independent audit, kept by the clients and never asked of the service: every job the
/// service acknowledged (a 202 with an id) and what became of it. A job is <em>lost</em> when the
/// service no longer knows it before it finished, <em>duplicated</em> when one idempotency key got two
/// ids, <em>wrong</em> when its result differs from the reference computed by the client, <em>stuck</em>
/// when it had not finished within the bound after its acknowledgment. Finished jobs are only counted.
/// A job the service no longer knows that the client had not seen open for the retention (an outage or
/// a restart kept the client away) may have finished and been deleted past the retention, as it should:
/// it is counted as <em>expired</em>, apart, neither lost nor verified.
/// </summary>
internal sealed class SoakLedger
{
    private readonly ConcurrentDictionary<string, Guid> _idsByKey = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _samples = new();
    private long _acknowledged;
    private long _completed;
    private long _failed;
    private long _lost;
    private long _expired;
    private long _duplicated;
    private long _wrong;
    private long _stuck;
    private long _refused;

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long Completed => Interlocked.Read(ref _completed);

    public long Failed => Interlocked.Read(ref _failed);

    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Unknown to the service when the client came back, after not seeing it open for the retention or longer.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    public long Duplicated => Interlocked.Read(ref _duplicated);

    public long Wrong => Interlocked.Read(ref _wrong);

    public long Stuck => Interlocked.Read(ref _stuck);

    /// <summary>Answers other than 202 or a retryable refusal (429, 503, 507): a request the service should have taken.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public long Finished => Completed + Failed + Lost + Expired;

    /// <summary>A few examples of each problem, for the report.</summary>
    public IEnumerable<string> Samples => _samples;

    /// <summary>A 202 for <paramref name="key"/>; false (and a duplicate counted) when the key already had another id.</summary>
    public bool Acknowledge(string key, Guid id)
    {
        var first = _idsByKey.GetOrAdd(key, id);
        if (first != id)
        {
            Problem(ref _duplicated, $"duplicated: key {key} answered {first} and then {id}");
            return false;
        }
        Interlocked.Increment(ref _acknowledged);
        return true;
    }

    /// <summary>The key is settled: a resubmission of it can no longer happen.</summary>
    public void Forget(string key) => _idsByKey.TryRemove(key, out _);

    public void Complete(Guid id, bool right)
    {
        Interlocked.Increment(ref _completed);
        if (!right)
        {
            Problem(ref _wrong, $"wrong result: job {id}");
        }
    }

    public void Fail(Guid id, string? reason)
    {
        Interlocked.Increment(ref _failed);
        Sample($"failed: job {id}: {reason}");
    }

    public void Lose(Guid id, string how) => Problem(ref _lost, $"lost: job {id} {how}");

    public void Expire(Guid id, TimeSpan unseen)
    {
        Interlocked.Increment(ref _expired);
        Sample($"expired: job {id} unknown to the service after {unseen.TotalSeconds:0.#} s unseen, at least the retention");
    }

    public void MarkStuck(Guid id, TimeSpan waited) => Problem(ref _stuck, $"stuck: job {id} unfinished {waited.TotalSeconds:0} s after its 202");

    public void Refuse(int status, string body) => Problem(ref _refused, $"refused: {status} {body}");

    private void Problem(ref long counter, string sample)
    {
        Interlocked.Increment(ref counter);
        Sample(sample);
    }

    private void Sample(string sample)
    {
        if (_samples.Count < 40)
        {
            _samples.Enqueue(sample);
        }
    }
}
