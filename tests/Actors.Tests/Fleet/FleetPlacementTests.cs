using Dpr.Actors.Fleet;

namespace Dpr.Actors.Tests.Fleet;

public sealed class FleetPlacementTests
{
    private static BoardReplies.Load Board(string name, string[] loaded, int idle, params (string Module, int Jobs)[] queued) =>
        new(name, "node", loaded, Partitions: Math.Max(1, loaded.Length + idle), idle, queued.ToDictionary(q => q.Module, q => q.Jobs));

    [Fact]
    public void A_job_goes_to_the_board_holding_its_module_even_when_another_is_idle()
    {
        var boards = new[] { Board("b0", [], 1), Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 2)) };

        Assert.Equal("b1", FleetPlacement.Choose("conv3x3_int8", boards, spreadAfter: 4));
    }

    [Fact]
    public void A_board_with_jobs_queued_for_the_module_counts_as_serving_it_before_the_swap_is_done()
    {
        var boards = new[] { Board("b0", [], 1), Board("b1", [], 0, ("conv5x5_int16", 1)), Board("b2", [], 1) };

        Assert.Equal("b1", FleetPlacement.Choose("conv5x5_int16", boards, spreadAfter: 4));
    }

    [Fact]
    public void Without_a_holder_the_cheapest_swap_wins_an_idle_partition_first_then_the_shortest_queue()
    {
        var boards = new[]
        {
            Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 1)),
            Board("b1", ["conv3x3_int16"], 0, ("conv3x3_int16", 3)),
            Board("b2", [], 1, ("conv3x3_int32", 5)),
            Board("b3", [], 1, ("conv3x3_int32", 2)),
        };

        Assert.Equal("b3", FleetPlacement.Choose("conv5x5_int8", boards, spreadAfter: 4));
        Assert.Equal("b0", FleetPlacement.Choose("conv5x5_int8", boards.Where(b => b.IdlePartitions == 0).ToList(), spreadAfter: 4));
    }

    [Fact]
    public void Demand_spreads_to_a_less_busy_board_once_the_holders_queue_of_the_module_reaches_the_bound()
    {
        var below = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 3)), Board("b1", [], 1) };
        var at = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 4)), Board("b1", [], 1) };
        var busier = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 4)), Board("b1", ["conv5x5_int8"], 0, ("conv5x5_int8", 6)) };

        Assert.Equal("b0", FleetPlacement.Choose("conv3x3_int8", below, spreadAfter: 4));
        Assert.Equal("b1", FleetPlacement.Choose("conv3x3_int8", at, spreadAfter: 4));
        Assert.Equal("b0", FleetPlacement.Choose("conv3x3_int8", busier, spreadAfter: 4));
    }

    [Fact]
    public void Among_holders_the_one_with_the_fewest_queued_jobs_wins_and_no_board_means_no_choice()
    {
        var boards = new[]
        {
            Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 1), ("conv5x5_int8", 5)),
            Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 2)),
        };

        Assert.Equal("b1", FleetPlacement.Choose("conv3x3_int8", boards, spreadAfter: 4));
        Assert.Null(FleetPlacement.Choose("conv3x3_int8", [], spreadAfter: 4));
    }
}
