using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;

namespace Dpr.Actors.Tests.Fleet;

/// <summary>A tenant's quotas over the fleet: its open jobs on every board counted together.</summary>
public sealed class FleetQuotaTests
{
    private static BoardReplies.Load Board(string name, params (string Tenant, int Jobs, double Seconds)[] open) =>
        new(name, "node", [], 1, 1, [], [], open.ToDictionary(o => o.Tenant, o => o.Jobs), open.ToDictionary(o => o.Tenant, o => TimeSpan.FromSeconds(o.Seconds)));

    private static readonly TenantLoad SmallJob = new(1, TimeSpan.FromSeconds(1));

    [Fact]
    public void Open_jobs_below_the_quota_on_each_board_are_refused_once_the_boards_together_hold_it()
    {
        var quotas = new JobIntakeOptions(MaxOpenJobsPerTenant: 5);
        var boards = new[] { Board("b0", ("alice", 3, 1), ("bob", 4, 1)), Board("b1", ("alice", 2, 1)) };

        var alice = BoardReplies.Load.OpenOf("alice", boards);
        var refused = quotas.QuotaRefusal("alice", alice, SmallJob, "the fleet");

        Assert.Equal(new TenantLoad(5, TimeSpan.FromSeconds(2)), alice);
        Assert.NotNull(refused);
        Assert.Equal(RejectionCode.TenantQuota, refused.Code);
        Assert.Equal("tenant 'alice' has 5 open jobs on the fleet, its quota is 5; retry when some finish", refused.Message);
        Assert.Null(quotas.QuotaRefusal("bob", BoardReplies.Load.OpenOf("bob", boards), SmallJob, "the fleet"));
    }

    [Fact]
    public void The_board_time_quota_counts_every_boards_open_work_and_a_tenant_without_open_jobs_is_never_refused_for_it()
    {
        var quotas = new JobIntakeOptions(MaxOpenWorkPerTenant: TimeSpan.FromSeconds(10));
        var boards = new[] { Board("b0", ("alice", 1, 6)), Board("b1", ("alice", 1, 3.5)) };

        var refused = quotas.QuotaRefusal("alice", BoardReplies.Load.OpenOf("alice", boards), SmallJob, "the fleet");
        var fits = quotas.QuotaRefusal("alice", BoardReplies.Load.OpenOf("alice", boards.Take(1)), SmallJob, "the fleet");
        var huge = quotas.QuotaRefusal("carol", BoardReplies.Load.OpenOf("carol", boards), new TenantLoad(1, TimeSpan.FromMinutes(5)), "the fleet");

        Assert.NotNull(refused);
        Assert.Contains("has 9.5 s of board time in 2 open jobs on the fleet and this job adds 1 s", refused.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
        Assert.Null(fits);
        Assert.Null(huge);
    }
}
