using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

public class TenantSharesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(10);

    private static TenantShares Shares(double heavyWeight = 1) =>
        new(t => t == "heavy" ? heavyWeight : 1, Lead);

    private static long Ms(double ms) => TimeSpan.FromMilliseconds(ms).Ticks;

    [Fact]
    public void A_lone_tenants_turn_comes_when_its_running_job_ends()
    {
        var s = Shares();
        s.Advance(T0);
        s.Join("mallory");
        s.Charge("mallory", Ms(300));

        Assert.Equal(T0.AddMilliseconds(300) - Lead, s.Turn("mallory", T0));
        s.Advance(T0.AddMilliseconds(300));
        Assert.Equal(T0.AddMilliseconds(300) - Lead, s.Turn("mallory", T0.AddMilliseconds(300)));
    }

    [Fact]
    public void A_tenant_that_joins_comes_before_one_that_has_been_served_and_the_served_one_waits_for_its_share()
    {
        var s = Shares();
        s.Advance(T0);
        s.Join("mallory");
        s.Charge("mallory", Ms(300));
        s.Advance(T0.AddMilliseconds(100));
        s.Join("bob");

        s.Advance(T0.AddMilliseconds(300));

        // 100 ms alone, then 200 ms at half the board: mallory is 100 ms of virtual time ahead of the
        // board, 200 ms at two tenants; bob, who joined at 100 ms and got nothing, is owed since then.
        Assert.Equal(T0.AddMilliseconds(500) - Lead, s.Turn("mallory", T0.AddMilliseconds(300)));
        Assert.Equal(T0.AddMilliseconds(100) - Lead, s.Turn("bob", T0.AddMilliseconds(300)));
    }

    [Fact]
    public void A_heavier_weight_pays_less_for_the_same_time()
    {
        var s = Shares(heavyWeight: 2);
        s.Advance(T0);
        s.Join("heavy");
        s.Join("light");
        s.Charge("heavy", Ms(100));
        s.Charge("light", Ms(100));

        // Three units of weight: heavy is 50 ms of virtual time ahead, light 100 ms.
        Assert.Equal(T0.AddMilliseconds(150) - Lead, s.Turn("heavy", T0));
        Assert.Equal(T0.AddMilliseconds(300) - Lead, s.Turn("light", T0));
    }

    [Fact]
    public void A_measured_time_replaces_the_estimate_charged()
    {
        var s = Shares();
        s.Advance(T0);
        s.Join("mallory");
        s.Charge("mallory", Ms(30));

        s.Correct("mallory", Ms(270));

        Assert.Equal(T0.AddMilliseconds(300) - Lead, s.Turn("mallory", T0));
    }

    [Fact]
    public void An_idle_board_forgives_every_lead()
    {
        var s = Shares();
        s.Advance(T0);
        s.Join("mallory");
        s.Charge("mallory", Ms(300));
        s.Leave("mallory");
        s.Advance(T0.AddMilliseconds(1));

        s.Join("mallory");

        Assert.Equal(T0.AddMilliseconds(1) - Lead, s.Turn("mallory", T0.AddMilliseconds(1)));
    }

    [Fact]
    public void A_tenant_without_jobs_has_no_turn_to_wait_for()
    {
        Assert.Equal(DateTimeOffset.MinValue, Shares().Turn("nobody", T0));
    }
}
