using Dpr.Actors.Regions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Actors.Tests.Regions;

public class RegionStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static RegionState Replay(params IRegionEvent[] events) => events.Aggregate(RegionState.Initial, (s, e) => s.Apply(e));

    [Fact]
    public void A_completed_swap_loads_the_module()
    {
        var id = Guid.NewGuid();
        var s = Replay(new SwapStarted(id, "conv3x3_int8", 1, "requested", T0), new SwapCompleted(id, "conv3x3_int8", 1.5, 151484, 1.6, T0));

        Assert.Equal((RegionStatus.Loaded, "conv3x3_int8", 1L, false), (s.Status, s.Module, s.Swaps, s.NeedsReload));
    }

    [Fact]
    public void A_swap_without_outcome_needs_the_pending_module_reloaded()
    {
        var s = Replay(
            new SwapStarted(Guid.NewGuid(), "a", 1, "requested", T0), new SwapCompleted(Guid.NewGuid(), "a", 1, 1, 1, T0),
            new SwapStarted(Guid.NewGuid(), "b", 1, "requested", T0));

        Assert.True(s.NeedsReload);
        Assert.Equal("b", s.ReloadModule);
    }

    [Fact]
    public void A_refused_write_keeps_the_old_module_and_an_unknown_one_loses_it()
    {
        var loaded = Replay(new SwapStarted(Guid.NewGuid(), "a", 1, "r", T0), new SwapCompleted(Guid.NewGuid(), "a", 1, 1, 1, T0));

        var refused = loaded.Apply(new SwapStarted(Guid.NewGuid(), "b", 1, "r", T0)).Apply(new SwapFailed(Guid.NewGuid(), "b", "Refused", "no", false, T0));
        var broken = loaded.Apply(new SwapStarted(Guid.NewGuid(), "b", 1, "r", T0)).Apply(new SwapFailed(Guid.NewGuid(), "b", "WriteFailed", "half", true, T0));

        Assert.Equal((RegionStatus.Loaded, "a", false), (refused.Status, refused.Module, refused.NeedsReload));
        Assert.Equal((RegionStatus.Unknown, null, true, "b"), (broken.Status, broken.Module, broken.NeedsReload, broken.ReloadModule));
        Assert.Equal((1L, 1), (broken.FailedSwaps, broken.ConsecutiveFailures));
    }

    [Fact]
    public void Upsets_are_counted_within_a_minute()
    {
        var s = Replay(
            new SwapStarted(Guid.NewGuid(), "a", 1, "r", T0), new SwapCompleted(Guid.NewGuid(), "a", 1, 1, 1, T0),
            new UpsetDetected(1, 0, 0, true, T0), new UpsetDetected(1, 0, 0, true, T0.AddSeconds(30)), new UpsetDetected(1, 0, 0, true, T0.AddSeconds(70)));

        Assert.Equal(RegionStatus.Scrubbing, s.Status);
        Assert.Equal("a", s.ReloadModule);
        Assert.Equal(2, s.UpsetReloadsWithin(T0.AddSeconds(75)));
        Assert.Equal(0, s.UpsetReloadsWithin(T0.AddMinutes(5)));
    }

    [Fact]
    public void Reset_clears_a_fault_into_an_unknown_partition_and_invalidation_empties_it()
    {
        var faulted = Replay(new RegionFaulted("storm", T0));

        Assert.Equal((RegionStatus.Faulted, "storm"), (faulted.Status, faulted.FaultReason));
        Assert.Equal((RegionStatus.Unknown, null), (faulted.Apply(new RegionReset("op", T0)).Status, faulted.Apply(new RegionReset("op", T0)).FaultReason));
        Assert.Equal(RegionStatus.Empty, faulted.Apply(new RegionReset("op", T0)).Apply(new RegionInvalidated("static reload", T0)).Status);
    }

    /// <summary>Whatever the history, the swap counters only count outcomes and a loaded partition names its module.</summary>
    [Property(MaxTest = 300)]
    public Property Counters_match_the_outcomes_on_record() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Choose(0, 6)).ToArbitrary(),
            kinds =>
            {
                var events = kinds.Select((k, i) => Event(k, i)).ToList();
                var s = events.Aggregate(RegionState.Initial, (state, e) => state.Apply(e));
                return s.Swaps == events.OfType<SwapCompleted>().Count()
                    && s.FailedSwaps == events.OfType<SwapFailed>().Count()
                    && (s.Status != RegionStatus.Loaded || s.Module is not null)
                    && (s.Status != RegionStatus.Faulted || s.FaultReason is not null);
            });

    private static IRegionEvent Event(int kind, int i)
    {
        var module = $"m{i % 3}";
        var at = T0.AddSeconds(i);
        return kind switch
        {
            0 => new SwapStarted(Guid.NewGuid(), module, 1, "r", at),
            1 => new SwapCompleted(Guid.NewGuid(), module, 1, 1, 1, at),
            2 => new SwapFailed(Guid.NewGuid(), module, "WriteFailed", "x", i % 2 == 0, at),
            3 => new UpsetDetected(1, 0, 0, true, at),
            4 => new RegionFaulted("f", at),
            5 => new RegionReset("op", at),
            _ => new RegionInvalidated("static", at),
        };
    }
}
