using Dpr.Actors.Fleet;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dpr.Actors.Tests.Fleet;

public sealed class FleetPlacementTests
{
    private static readonly TimeSpan Swap = TimeSpan.FromMilliseconds(1.5);
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(10);
    private static readonly string[] Modules = ["conv3x3_int8", "conv3x3_int16", "conv5x5_int8"];

    /// <param name="queued">Queued jobs per module and their board time in milliseconds.</param>
    private static BoardReplies.Load Board(string name, string[] loaded, int idle, params (string Module, int Jobs, double Ms)[] queued) =>
        new(name, "node", loaded, Partitions: Math.Max(1, loaded.Length + idle), idle,
            queued.ToDictionary(q => q.Module, q => q.Jobs), queued.ToDictionary(q => q.Module, q => TimeSpan.FromMilliseconds(q.Ms)), [], []);

    private static string? Choose(string module, IReadOnlyCollection<BoardReplies.Load> boards) => FleetPlacement.Choose(module, boards, Swap, Margin);

    [Fact]
    public void A_job_goes_to_the_board_holding_its_module_even_when_another_is_idle()
    {
        var boards = new[] { Board("b0", [], 1), Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 2, 5)) };

        Assert.Equal("b1", Choose("conv3x3_int8", boards));
    }

    [Fact]
    public void A_board_with_jobs_queued_for_the_module_counts_as_serving_it_before_the_swap_is_done()
    {
        var boards = new[] { Board("b0", [], 1), Board("b1", [], 0, ("conv5x5_int16", 1, 0.5)), Board("b2", [], 1) };

        Assert.Equal("b1", Choose("conv5x5_int16", boards));
    }

    [Fact]
    public void Without_a_holder_the_cheapest_swap_wins_an_idle_partition_first_then_the_least_queued_work()
    {
        var boards = new[]
        {
            Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 9, 1)),
            Board("b1", ["conv3x3_int16"], 0, ("conv3x3_int16", 1, 3)),
            Board("b2", [], 1, ("conv3x3_int32", 1, 5)),
            Board("b3", [], 1, ("conv3x3_int32", 20, 2)),
        };

        Assert.Equal("b3", Choose("conv5x5_int8", boards));
        Assert.Equal("b0", Choose("conv5x5_int8", boards.Where(b => b.IdlePartitions == 0).ToList()));
    }

    [Fact]
    public void Demand_spreads_only_once_the_holders_queued_work_exceeds_a_swap_plus_the_margin_whatever_the_job_count()
    {
        // 11.5 ms = swap 1.5 + margin 10: many tiny jobs stay, a few long ones spread.
        var manySmall = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 400, 11.5)), Board("b1", [], 1) };
        var fewLong = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 25, 11.6)), Board("b1", [], 1) };
        var otherBusy = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 25, 14)), Board("b1", ["conv5x5_int8"], 0, ("conv5x5_int8", 1, 3)) };

        Assert.Equal("b0", Choose("conv3x3_int8", manySmall));
        Assert.Equal("b1", Choose("conv3x3_int8", fewLong));
        Assert.Equal("b0", Choose("conv3x3_int8", otherBusy));
    }

    [Fact]
    public void Among_holders_the_one_with_the_least_queued_work_per_partition_wins_and_no_board_means_no_choice()
    {
        var boards = new[]
        {
            Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 1, 1), ("conv5x5_int8", 1, 4)),
            Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 30, 3)),
            Board("b2", ["conv3x3_int8", "conv5x5_int8"], 0, ("conv3x3_int8", 1, 3), ("conv5x5_int8", 1, 2.6)),
        };

        Assert.Equal("b2", Choose("conv3x3_int8", boards));
        Assert.Null(Choose("conv3x3_int8", []));
    }

    [Property(MaxTest = 300)]
    public Property A_job_leaves_its_modules_holders_only_for_a_board_that_starts_it_sooner_by_more_than_a_swap_and_the_margin() =>
        Prop.ForAll(Fleets.ToArbitrary(), Gen.Elements(Modules).ToArbitrary(), (boards, module) =>
        {
            var chosen = Choose(module, boards);
            var holders = boards.Where(b => b.Serves(module)).ToList();
            var picked = boards.SingleOrDefault(b => b.Board == chosen);
            if (boards.Length == 0 || picked is null)
            {
                return boards.Length == 0 && chosen is null;
            }
            if (holders.Count == 0)
            {
                return true;
            }
            var bestHolder = holders.Min(b => b.Backlog);
            return picked.Serves(module)
                ? picked.Backlog == bestHolder
                : bestHolder > picked.Backlog + Swap + Margin;
        });

    /// <summary>Up to six boards of one or two partitions, each holding and queuing some of <see cref="Modules"/>.</summary>
    private static Gen<BoardReplies.Load[]> Fleets =>
        Gen.ArrayOf(
            from partitions in Gen.Choose(1, 2)
            from loaded in Gen.SubListOf(Modules)
            from queued in Gen.SubListOf(Modules)
            from ms in Gen.ArrayOf(Gen.Choose(0, 40), queued.Count)
            select (Partitions: partitions, Loaded: loaded.Take(partitions).ToArray(), Queued: queued, Ms: ms))
        .Select(specs => specs.Take(6).Select((b, i) => new BoardReplies.Load(
            $"b{i}", "node", b.Loaded, b.Partitions, b.Partitions - b.Loaded.Length,
            b.Queued.ToDictionary(m => m, _ => 1), b.Queued.Select((m, k) => (m, k)).ToDictionary(q => q.m, q => TimeSpan.FromMilliseconds(b.Ms[q.k])), [], [])).ToArray());
}
