namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>A queued job with what the scheduler derives from it once, at admission.</summary>
internal sealed class QueueEntry(QueuedJob job, long sequence, DateTimeOffset startBy, long cost)
{
    public QueuedJob Job { get; } = job;

    /// <summary>Admission order: the last tie-breaker everywhere, so decisions never depend on hash order.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>The latest start that keeps the aging bound (or the job's own deadline if sooner).</summary>
    public DateTimeOffset StartBy { get; } = startBy;

    /// <summary>Estimated module time in ticks, at least one.</summary>
    public long Cost { get; } = cost;

    public LinkedListNode<QueueEntry>? Node { get; set; }

    /// <summary>Urgency order: start-by time, then admission order.</summary>
    public static IComparer<QueueEntry> ByStartBy { get; } = Comparer<QueueEntry>.Create((a, b) =>
    {
        var c = a.StartBy.CompareTo(b.StartBy);
        return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
    });

    /// <summary>Service order inside one tenant: priority first, then age, then admission.</summary>
    public static int ServiceOrder(QueueEntry a, QueueEntry b)
    {
        var c = b.Job.Priority.CompareTo(a.Job.Priority);
        if (c != 0)
        {
            return c;
        }
        c = a.Job.EnqueuedAt.CompareTo(b.Job.EnqueuedAt);
        return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
    }
}
