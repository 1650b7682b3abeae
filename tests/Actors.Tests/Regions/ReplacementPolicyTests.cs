using Dpr.Actors.Regions;

namespace Dpr.Actors.Tests.Regions;

public class ReplacementPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static RegionReplies.State Loaded(string partition, string module, int loadedAt, int lastUsed) =>
        new(partition, RegionStatus.Loaded, module, null, 1, 0, null, T0.AddSeconds(lastUsed), T0.AddSeconds(loadedAt));

    private static readonly RegionReplies.State[] Two = [Loaded("a", "m1", loadedAt: 0, lastUsed: 50), Loaded("b", "m2", loadedAt: 10, lastUsed: 20)];

    [Fact]
    public void A_hit_is_always_chosen() =>
        Assert.Equal("b", ReplacementPolicy.Fifo.Choose("M2", Two));

    [Fact]
    public void An_empty_partition_is_used_before_evicting()
    {
        RegionReplies.State[] states = [Two[0], Two[1] with { Status = RegionStatus.Empty, Module = null }];

        Assert.Equal("b", ReplacementPolicy.Lru.Choose("m3", states));
    }

    [Fact]
    public void Lru_evicts_the_least_recently_used_and_fifo_the_first_loaded()
    {
        Assert.Equal("b", ReplacementPolicy.Lru.Choose("m3", Two));
        Assert.Equal("a", ReplacementPolicy.Fifo.Choose("m3", Two));
    }

    [Fact]
    public void Faulted_and_swapping_partitions_are_never_chosen()
    {
        RegionReplies.State[] states = [Two[0] with { Status = RegionStatus.Faulted }, Two[1] with { Status = RegionStatus.Loading }];

        Assert.Null(ReplacementPolicy.Lru.Choose("m3", states));
    }

    [Fact]
    public void Policies_are_chosen_by_name() =>
        Assert.Multiple(
            () => Assert.Same(ReplacementPolicy.Lru, ReplacementPolicy.Parse("LRU")),
            () => Assert.Same(ReplacementPolicy.Fifo, ReplacementPolicy.Parse("fifo")),
            () => Assert.Throws<ArgumentException>(() => ReplacementPolicy.Parse("random")));
}
