using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class WorkSplitTests
{
    /// <summary>Runs one call (split over the helper, running or not, when <paramref name="split"/>) and returns how many times each item ran.</summary>
    private static int[] Coverage(int workers, int items, bool split = false)
    {
        var runs = new int[items];
        WorkSplit.SplitAlways = split;
        WorkSplit.Run(workers, items, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                Interlocked.Increment(ref runs[i]);
            }
        });
        WorkSplit.SplitAlways = false;
        return runs;
    }

    [Fact]
    public void Back_to_back_calls_run_every_item_exactly_once_whether_a_helper_joins_or_not()
    {
        // Back to back the helper is polling and most calls split; the first and the odd late one run whole.
        foreach (var items in new[] { 1, 2, 3, 31, 32, 33, 1000, 4097 })
        {
            for (var call = 0; call < 200; call++)
            {
                Assert.All(Coverage(2, items), count => Assert.Equal(1, count));
                Assert.All(Coverage(2, items, split: true), count => Assert.Equal(1, count));
            }
        }
    }

    [Fact]
    public void A_call_after_the_helper_blocked_runs_every_item_exactly_once_and_later_calls_too()
    {
        for (var round = 0; round < 5; round++)
        {
            // Once every helper has stopped polling and blocks, the next call finds it asleep and must wake it.
            Assert.True(SpinWait.SpinUntil(() => WorkSplit.HelpersBlocked, TimeSpan.FromSeconds(30)), "a helper never blocked");
            Assert.All(Coverage(2, 777, split: round % 2 == 0), count => Assert.Equal(1, count));
            Assert.All(Coverage(2, 777), count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public void Callers_on_several_threads_at_once_each_get_all_their_items()
    {
        var results = new int[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var total = new int[500];
            for (var call = 0; call < 50; call++)
            {
                var runs = Coverage(2, 500, split: call % 2 == 0);
                for (var i = 0; i < runs.Length; i++)
                {
                    total[i] += runs[i];
                }
            }
            results[t] = total;
        });

        Assert.All(results, total => Assert.All(total, count => Assert.Equal(50, count)));
    }

    [Fact]
    public void An_exception_in_the_body_reaches_the_caller_and_the_next_call_still_runs()
    {
        for (var call = 0; call < 50; call++)
        {
            WorkSplit.SplitAlways = call % 2 == 0;
            var e = Assert.Throws<InvalidOperationException>(() => WorkSplit.Run(2, 256, (start, end) =>
            {
                if (start <= 100 && 100 < end)
                {
                    throw new InvalidOperationException("item 100");
                }
            }));
            WorkSplit.SplitAlways = false;
            Assert.Equal("item 100", e.Message);
        }
        Assert.All(Coverage(2, 256), count => Assert.Equal(1, count));
    }
}
