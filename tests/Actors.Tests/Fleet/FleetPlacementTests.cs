using Dpr.Actors.Fleet;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dpr.Actors.Tests.Fleet;

public sealed class FleetPlacementTests
{
    private static readonly TimeSpan Swap = TimeSpan.FromMilliseconds(1.5);

    /// <summary>A 250 ms aging bound less a 25 ms headroom.</summary>
    private static readonly TimeSpan Within = TimeSpan.FromMilliseconds(225);
    private static readonly string[] Modules = ["conv3x3_int8", "conv3x3_int16", "conv5x5_int8"];

    /// <param name="queued">Queued jobs per module and their board time in milliseconds.</param>
    private static BoardReplies.Load Board(string name, string[] loaded, int idle, params (string Module, int Jobs, double Ms)[] queued) =>
        new(name, "node", loaded, Partitions: Math.Max(1, loaded.Length + idle), idle,
            queued.ToDictionary(q => q.Module, q => q.Jobs), queued.ToDictionary(q => q.Module, q => TimeSpan.FromMilliseconds(q.Ms)), [], []);

    private static string? Choose(string module, IReadOnlyCollection<BoardReplies.Load> boards) => FleetPlacement.Choose(module, boards, Swap, Within);

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
    public void The_predicted_start_is_the_queued_work_per_partition_and_a_swap_for_each_module_no_partition_holds()
    {
        var board = Board("b0", ["conv3x3_int8", "conv3x3_int16"], 0, ("conv3x3_int8", 3, 10), ("conv5x5_int8", 2, 20));

        // 30 ms over 2 partitions; conv5x5_int8 needs a swap, and conv5x5_int16 one more.
        Assert.Equal(TimeSpan.FromMilliseconds(15 + 0.75), board.PredictedStart("conv3x3_int8", Swap));
        Assert.Equal(TimeSpan.FromMilliseconds(15 + 1.5), board.PredictedStart("conv5x5_int16", Swap));
    }

    [Fact]
    public void A_cold_module_stays_on_its_board_while_that_board_starts_it_within_the_bound_however_idle_the_others()
    {
        // 200 ms queued against 0: a spread margin over the other queues would have moved it long before.
        var boards = new[] { Board("b0", [], 1), Board("b1", ["conv5x5_int8"], 0, ("conv5x5_int8", 400, 200)), Board("b2", [], 1) };

        Assert.Equal("b1", Choose("conv5x5_int8", boards));
    }

    [Fact]
    public void A_hot_module_spreads_once_its_boards_predicted_start_passes_the_bound_less_the_headroom()
    {
        static BoardReplies.Load[] Fleet(double holderMs) =>
        [
            Board("b0", ["conv3x3_int16"], 0, ("conv3x3_int16", 10, 40)),
            Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 900, holderMs)),
            Board("b2", ["conv5x5_int8"], 0, ("conv5x5_int8", 10, 30)),
        ];

        Assert.Equal("b1", Choose("conv3x3_int8", Fleet(225)));
        // Past 225 ms it spreads to the cheapest swap: the least predicted start, 30 ms and a swap.
        Assert.Equal("b2", Choose("conv3x3_int8", Fleet(225.1)));
        // The swap a holder still needs counts: 223.6 ms of queued work fits, the load of conv3x3_int8 after it does not.
        var behindASwap = new[] { Board("b0", [], 1), Board("b1", ["conv5x5_int8"], 0, ("conv3x3_int8", 900, 222), ("conv5x5_int8", 1, 1.6)) };
        Assert.Equal("b0", Choose("conv3x3_int8", behindASwap));
    }

    [Fact]
    public void A_spreading_module_takes_an_empty_partition_first_then_the_least_predicted_start_of_the_boards_that_have_room()
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
        // An empty partition behind a full queue has no room: the board with room wins.
        var fullButIdle = new[] { Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 9, 100)), Board("b1", [], 1, ("conv3x3_int32", 900, 230)) };
        Assert.Equal("b0", Choose("conv5x5_int8", fullButIdle));
    }

    [Fact]
    public void Among_boards_with_room_the_one_serving_the_fewest_modules_wins_then_the_earliest_start()
    {
        var boards = new[]
        {
            Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 1, 1), ("conv5x5_int8", 1, 4)),
            Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 30, 30)),
            Board("b2", ["conv3x3_int8"], 0, ("conv3x3_int8", 1, 20)),
        };

        Assert.Equal("b2", Choose("conv3x3_int8", boards));
        Assert.Equal("b0", Choose("conv3x3_int8", boards.Take(1).Append(Board("b1", ["conv3x3_int8"], 0, ("conv3x3_int8", 900, 240))).ToList()));
    }

    [Fact]
    public void With_no_board_in_time_the_earliest_predicted_start_wins_and_no_board_means_no_choice()
    {
        var boards = new[]
        {
            Board("b0", ["conv3x3_int8"], 0, ("conv3x3_int8", 900, 300)),
            Board("b1", ["conv3x3_int16"], 0, ("conv3x3_int16", 900, 260)),
            Board("b2", [], 1, ("conv5x5_int8", 900, 280)),
        };

        Assert.Equal("b1", Choose("conv3x3_int8", boards));
        Assert.Null(Choose("conv3x3_int8", []));
    }

    [Property(MaxTest = 300)]
    public Property A_job_leaves_its_modules_boards_only_when_none_of_them_starts_it_in_time() =>
        Prop.ForAll(Fleets.ToArbitrary(), Gen.Elements(Modules).ToArbitrary(), (boards, module) =>
        {
            var chosen = Choose(module, boards);
            var picked = boards.SingleOrDefault(b => b.Board == chosen);
            if (boards.Length == 0 || picked is null)
            {
                return boards.Length == 0 && chosen is null;
            }
            var inTime = boards.Where(b => b.PredictedStart(module, Swap) <= Within).ToList();
            var holders = inTime.Where(b => b.Serves(module)).ToList();
            if (holders.Count > 0)
            {
                return picked.Serves(module) && holders.Contains(picked) && picked.ServedModules == holders.Min(b => b.ServedModules);
            }
            return inTime.Count > 0
                ? inTime.Contains(picked) && !picked.Serves(module)
                : picked.PredictedStart(module, Swap) == boards.Min(b => b.PredictedStart(module, Swap));
        });

    /// <summary>Up to six boards of one or two partitions, each holding and queuing some of <see cref="Modules"/>, some past the bound.</summary>
    private static Gen<BoardReplies.Load[]> Fleets =>
        Gen.ArrayOf(
            from partitions in Gen.Choose(1, 2)
            from loaded in Gen.SubListOf(Modules)
            from queued in Gen.SubListOf(Modules)
            from ms in Gen.ArrayOf(Gen.Choose(0, 300), queued.Count)
            select (Partitions: partitions, Loaded: loaded.Take(partitions).ToArray(), Queued: queued, Ms: ms))
        .Select(specs => specs.Take(6).Select((b, i) => new BoardReplies.Load(
            $"b{i}", "node", b.Loaded, b.Partitions, b.Partitions - b.Loaded.Length,
            b.Queued.ToDictionary(m => m, _ => 1), b.Queued.Select((m, k) => (m, k)).ToDictionary(q => q.m, q => TimeSpan.FromMilliseconds(b.Ms[q.k])), [], [])).ToArray());
}
