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

    private static readonly RegionOptions Options = new(MaxAttempts: 3, MaxUpsetReloadsPerMinute: 2);

    private static RegionState Loaded(string module) =>
        Replay(new SwapStarted(Guid.NewGuid(), module, 1, "r", T0), new SwapCompleted(Guid.NewGuid(), module, 1, 1, 1, T0));

    private static LoadDecision DecideLoad(RegionState state, string requested, bool moduleRunning = true) =>
        state.DecideLoad("conv", requested, SimulatedRegion.Catalog.Find(requested), SimulatedRegion.Catalog.Modules.Select(m => m.Name), moduleRunning);

    [Fact]
    public void A_load_is_refused_naming_the_unknown_module_the_wrong_partition_or_the_fault()
    {
        var unknown = Assert.IsType<LoadDecision.Refuse>(DecideLoad(RegionState.Initial, "conv7x7_int8"));
        var faulted = Assert.IsType<LoadDecision.Refuse>(DecideLoad(Replay(new RegionFaulted("port dead", T0)), "conv3x3_int8"));
        var elsewhere = Assert.IsType<LoadDecision.Refuse>(RegionState.Initial.DecideLoad("other", "conv3x3_int8", SimulatedRegion.Catalog.Find("conv3x3_int8"), [], true));

        Assert.StartsWith("unknown module 'conv7x7_int8'; the catalog serves ", unknown.Reason);
        Assert.Contains("conv5x5_int16", unknown.Reason);
        Assert.Contains("faulted (port dead)", faulted.Reason);
        Assert.Contains("built for partition 'conv', not 'other'", elsewhere.Reason);
    }

    [Fact]
    public void A_load_of_the_running_module_is_a_hit_and_anything_else_a_swap()
    {
        Assert.Same(LoadDecision.Hit, DecideLoad(Loaded("conv3x3_int8"), "conv3x3_int8"));
        Assert.Same(LoadDecision.Swap, DecideLoad(Loaded("conv3x3_int8"), "conv3x3_int8", moduleRunning: false));
        Assert.Same(LoadDecision.Swap, DecideLoad(Loaded("conv3x3_int8"), "conv5x5_int16"));
        Assert.Same(LoadDecision.Swap, DecideLoad(Replay(new RegionReset("ops", T0)), "conv3x3_int8"));
    }

    [Fact]
    public void A_failed_write_is_retried_with_a_growing_backoff_and_past_the_bound_the_partition_is_faulted()
    {
        var state = RegionState.Initial;
        var failed = new SwapFailed(Guid.NewGuid(), "conv3x3_int8", "WriteFailed", "DMA error", true, T0);

        var (first, firstRetry) = state.DecideWriteFailed(failed, 1, Options);
        var (second, secondRetry) = state.DecideWriteFailed(failed, 2, Options);
        var (last, lastRetry) = state.DecideWriteFailed(failed, 3, Options);

        Assert.Equal([failed], first);
        Assert.Equal([failed], second);
        Assert.True(secondRetry > firstRetry);
        Assert.Null(lastRetry);
        var fault = Assert.IsType<RegionFaulted>(last[1]);
        Assert.Equal("3 attempts to load conv3x3_int8 failed; the last: DMA error", fault.Reason);
        Assert.Equal(RegionStatus.Faulted, last.Aggregate(state, (s, e) => s.Apply(e)).Status);
    }

    [Fact]
    public void Upsets_beyond_the_bound_within_a_minute_fault_the_partition_and_older_ones_do_not_count()
    {
        var state = Loaded("conv3x3_int8");
        IReadOnlyList<IRegionEvent> Upset(double seconds) => state.DecideUpset(new UpsetDetected(0x100, 1, 2, false, T0.AddSeconds(seconds)), state.UpsetReloadsWithin(T0.AddSeconds(seconds)), Options.MaxUpsetReloadsPerMinute);

        foreach (var at in new[] { 0.0, 10 })
        {
            state = state.Apply(Assert.Single(Upset(at)));
        }
        var storm = Upset(20);
        var twice = Loaded("conv3x3_int8").Apply(new UpsetDetected(0x100, 1, 2, false, T0)).Apply(new UpsetDetected(0x100, 1, 2, false, T0.AddSeconds(10)));
        var later = twice.DecideUpset(new UpsetDetected(0x100, 1, 2, false, T0.AddSeconds(61)), twice.UpsetReloadsWithin(T0.AddSeconds(61)), Options.MaxUpsetReloadsPerMinute);

        Assert.Equal(2, storm.Count);
        Assert.Equal("3 upsets within a minute: more than the 2 reloads allowed", Assert.IsType<RegionFaulted>(storm[1]).Reason);
        Assert.Single(later);
    }

    [Fact]
    public void An_upset_in_a_faulted_partition_is_on_record_but_leaves_it_faulted()
    {
        var faulted = Loaded("conv3x3_int8").Apply(new RegionFaulted("storm", T0));
        var upset = new UpsetDetected(0x100, 1, 2, false, T0);

        var events = faulted.DecideUpset(upset, Options.MaxUpsetReloadsPerMinute, Options.MaxUpsetReloadsPerMinute);

        Assert.Equal([upset], events);
        Assert.Equal(RegionStatus.Faulted, faulted.Apply(upset).Status);
    }

    [Fact]
    public void A_reset_clears_a_fault_and_changes_nothing_otherwise()
    {
        Assert.Empty(Loaded("conv3x3_int8").DecideReset("ops", T0));
        var reset = Assert.IsType<RegionReset>(Assert.Single(Replay(new RegionFaulted("x", T0)).DecideReset("ops", T0)));
        Assert.Equal("ops", reset.By);
    }
}
