using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// Runs a body over [0, items) on the calling thread and up to <c>workers − 1</c> helper threads. Every
/// thread claims small grains of items as it goes, so the caller never waits for a helper that has not
/// started (it takes the helper's share itself), only for a grain a helper has claimed.
/// </summary>
/// <remarks>
/// The helpers are dedicated background threads that spin briefly for the next job before they block,
/// as ONNX Runtime's intra-op threads do: a thread-pool thread woken per phase arrives tens of
/// microseconds late, the whole length of a small job's phase. A helper that is busy with another call
/// simply misses this one; nothing waits for it.
/// </remarks>
internal sealed class WorkSplit
{
    private static readonly Lazy<Helper[]> Helpers = new(() =>
        Enumerable.Range(0, Math.Max(0, Environment.ProcessorCount - 1)).Select(_ => new Helper()).ToArray());

    private readonly int items;
    private readonly int grain;
    private readonly Action<int, int> body;
    private int next;
    private int done;
    private ExceptionDispatchInfo? failure;

    private WorkSplit(int items, int grain, Action<int, int> body)
    {
        this.items = items;
        this.grain = grain;
        this.body = body;
    }

    public static void Run(int workers, int items, Action<int, int> body)
    {
        var helpers = workers > 1 && items > 1 ? Helpers.Value : [];
        if (helpers.Length == 0)
        {
            body(0, items);
            return;
        }
        // 16 grains per worker: a late or preempted helper holds up at most a small share.
        var split = new WorkSplit(items, Math.Max(1, items / (workers * 16)), body);
        for (var w = 0; w < Math.Min(workers - 1, helpers.Length); w++)
        {
            helpers[w].Post(split);
        }
        split.Execute();
        // Never Sleep(1): a millisecond is 20 times a small job. Yielding lets a preempted helper run.
        var spin = new SpinWait();
        while (Volatile.Read(ref split.done) < items)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        split.failure?.Throw();
    }

    private void Execute()
    {
        int start;
        while ((start = Interlocked.Add(ref next, grain) - grain) < items)
        {
            var end = Math.Min(items, start + grain);
            try
            {
                body(start, end);
            }
            catch (Exception e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
            Interlocked.Add(ref done, end - start);
        }
    }

    private sealed class Helper
    {
        /// <summary>How long an idle helper keeps polling before it blocks: a few small jobs.</summary>
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

        private readonly SemaphoreSlim wake = new(0);
        private WorkSplit? pending;

        public Helper()
        {
            new Thread(Loop) { IsBackground = true, Name = "dpr conv helper" }.Start();
        }

        public void Post(WorkSplit split)
        {
            // A job still pending from an earlier call is over or nearly so: its caller does what is left.
            if (Interlocked.Exchange(ref pending, split) is null)
            {
                wake.Release();
            }
        }

        private void Loop()
        {
            while (true)
            {
                var split = Take();
                split.Execute();
            }
        }

        private WorkSplit Take()
        {
            var until = Stopwatch.GetTimestamp() + SpinTicks;
            var spin = new SpinWait();
            while (true)
            {
                if (Interlocked.Exchange(ref pending, null) is { } split)
                {
                    // Consume the wake-up the post released, if any, so the count stays at most one.
                    wake.Wait(0);
                    return split;
                }
                if (Stopwatch.GetTimestamp() < until)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                wake.Wait();
                until = Stopwatch.GetTimestamp() + SpinTicks;
            }
        }
    }
}
