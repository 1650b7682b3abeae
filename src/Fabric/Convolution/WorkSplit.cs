using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// Runs a body over [0, items) on the calling thread and up to <c>workers − 1</c> helper threads. Every
/// thread claims small grains of items as it goes, so the caller never waits for a helper that has not
/// started (it takes the helper's share itself), only for a grain a helper has claimed. A call splits only
/// over helpers that are on a CPU at that moment (they polled or finished a grain within
/// <see cref="FreshTicks"/>); with none, the caller runs the body whole, as one thread would, and wakes
/// the helpers for the calls that follow.
/// </summary>
/// <remarks>
/// The helpers are dedicated background threads that spin briefly (pause instructions, no yield) for the
/// next job before they block, as ONNX Runtime's intra-op threads do: a thread-pool thread woken per
/// phase arrives tens of microseconds late, the whole length of a small job's phase. A helper that is
/// busy with another call simply misses this one; nothing waits for it.
/// </remarks>
internal sealed class WorkSplit
{
    private static readonly Lazy<Helper[]> Helpers = new(() =>
        Enumerable.Range(0, Math.Max(0, Environment.ProcessorCount - 1)).Select(_ => new Helper()).ToArray());

    /// <summary>How long a caller polls for a helper's last grain before it yields: a few grains of a small job.</summary>
    private static readonly long JoinSpinTicks = Stopwatch.Frequency / 20_000;

    /// <summary>
    /// A helper whose last poll or grain is older than this (10 µs) is not running now (preempted on a busy
    /// machine, blocked, or busy with another call): splitting over it would only cut the body into grains
    /// and wait for it. A running helper polls every few hundred nanoseconds and ends a grain every few
    /// microseconds (a 32nd of a job's phase).
    /// </summary>
    private static readonly long FreshTicks = Stopwatch.Frequency / 100_000;

    /// <summary>Pause instructions between two polls of a flag (about 100 ns on the development VM).</summary>
    private const int PollSpins = 1;

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

    /// <summary>For tests: this thread's calls split over every helper, running or not, and wait for their grains.</summary>
    [ThreadStatic]
    internal static bool SplitAlways;

    /// <summary>Every helper has stopped polling and blocks (or is about to) until a call wakes it; for tests.</summary>
    internal static bool HelpersBlocked => Helpers.Value.All(h => h.Blocked);

    public static void Run(int workers, int items, Action<int, int> body)
    {
        var helpers = workers > 1 && items > 1 ? Helpers.Value : [];
        var now = Stopwatch.GetTimestamp();
        WorkSplit? split = null;
        for (var h = 0; h < Math.Min(workers - 1, helpers.Length); h++)
        {
            if (helpers[h].Running(now) || SplitAlways)
            {
                // 16 grains per worker: a late or preempted helper holds up at most a small share.
                split ??= new WorkSplit(items, Math.Max(1, items / (workers * 16)), body);
                helpers[h].Post(split);
            }
            else
            {
                helpers[h].Wake();
            }
        }
        if (split is null)
        {
            body(0, items);
            return;
        }
        split.Execute(null);
        split.Join();
        split.failure?.Throw();
    }

    /// <summary>
    /// Waits for the grains the helpers hold. A running helper ends its last grain within microseconds, so the
    /// caller polls with pause instructions (no system call: a yield costs microseconds in a VM, and SpinWait
    /// yields from its eleventh turn); only past <see cref="JoinSpinTicks"/>, when the helper has likely been
    /// preempted, does it yield so that the helper can run. Never Sleep(1): a millisecond is 20 small jobs.
    /// </summary>
    private void Join()
    {
        var until = Stopwatch.GetTimestamp() + JoinSpinTicks;
        while (Volatile.Read(ref done) < items)
        {
            if (Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(PollSpins);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    /// <summary>Claims and runs grains until none is left; a helper (not the caller) stamps its heartbeat after each.</summary>
    private void Execute(Helper? helper)
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
            helper?.Beat(Stopwatch.GetTimestamp());
            Interlocked.Add(ref done, end - start);
        }
    }

    private sealed class Helper
    {
        /// <summary>How long an idle helper keeps polling before it blocks: a few small jobs.</summary>
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

        private readonly SemaphoreSlim wake = new(0);
        private WorkSplit? pending;

        /// <summary>When it last polled or ended a grain (<see cref="Stopwatch"/> ticks).</summary>
        private long heartbeat = long.MinValue / 2;

        /// <summary>1 from just before it blocks until a post or a wake-up claims the release.</summary>
        private int blocked;

        public Helper()
        {
            new Thread(Loop) { IsBackground = true, Name = "dpr conv helper" }.Start();
        }

        public bool Blocked => Volatile.Read(ref blocked) == 1;

        public bool Running(long now) => now - Volatile.Read(ref heartbeat) < FreshTicks;

        public void Beat(long now) => Volatile.Write(ref heartbeat, now);

        /// <summary>A job still pending from an earlier call is over or nearly so: its caller does what is left.</summary>
        public void Post(WorkSplit split)
        {
            Volatile.Write(ref pending, split);
            Wake();
        }

        /// <summary>Releases a blocked helper once, so that it polls again.</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref blocked, 0) == 1)
            {
                wake.Release();
            }
        }

        private void Loop()
        {
            while (true)
            {
                Take().Execute(this);
            }
        }

        /// <summary>Polls for the next job with pause instructions, as the join does, then blocks.</summary>
        private WorkSplit Take()
        {
            var until = Stopwatch.GetTimestamp() + SpinTicks;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                Beat(now);
                if (Volatile.Read(ref pending) is not null && Interlocked.Exchange(ref pending, null) is { } split)
                {
                    return split;
                }
                if (now < until)
                {
                    Thread.SpinWait(PollSpins);
                    continue;
                }
                // Blocked is set (a full fence) before pending is read again: a post after this read sees it
                // and releases; one before is taken here. A release nobody waited for only cuts a later wait short.
                Interlocked.Exchange(ref blocked, 1);
                if (Volatile.Read(ref pending) is null)
                {
                    wake.Wait();
                }
                Interlocked.Exchange(ref blocked, 0);
                until = Stopwatch.GetTimestamp() + SpinTicks;
            }
        }
    }
}
