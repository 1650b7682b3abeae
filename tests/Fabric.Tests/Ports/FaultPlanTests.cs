using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>The scripted faults a running service is given: listed in the order they will hit, withdrawn, bounded hangs checked.</summary>
public class FaultPlanTests
{
    [Fact]
    public void Pending_lists_next_write_faults_in_order_then_by_write_then_by_module()
    {
        var plan = new FaultPlan()
            .OnModule("conv5x5_int8", SimulatedFault.Corrupt)
            .OnWrite(7, SimulatedFault.PartialWrite)
            .OnNextWrite(SimulatedFault.Fail)
            .OnNextWrite(SimulatedFault.Hang, TimeSpan.FromSeconds(2));

        Assert.Equal(
            [
                new PlannedFault(SimulatedFault.Fail),
                new PlannedFault(SimulatedFault.Hang, TimeSpan.FromSeconds(2)),
                new PlannedFault(SimulatedFault.PartialWrite, Write: 7),
                new PlannedFault(SimulatedFault.Corrupt, Module: "conv5x5_int8"),
            ],
            plan.Pending);
    }

    [Fact]
    public void A_fault_hit_by_a_write_is_no_longer_pending()
    {
        var plan = new FaultPlan().OnNextWrite(SimulatedFault.Fail).OnNextWrite(SimulatedFault.Corrupt);

        Assert.Equal(SimulatedFault.Fail, plan.Next(1, "conv3x3_int8")?.Fault);

        Assert.Equal([new PlannedFault(SimulatedFault.Corrupt)], plan.Pending);
    }

    [Fact]
    public void Clear_withdraws_every_scripted_fault_and_returns_them()
    {
        var plan = new FaultPlan().OnNextWrite(SimulatedFault.Fail).OnWrite(3, SimulatedFault.Hang).OnModule("conv3x3_int8", SimulatedFault.Corrupt);

        var withdrawn = plan.Clear();

        Assert.Equal(3, withdrawn.Count);
        Assert.Empty(plan.Pending);
        for (var write = 1; write <= 4; write++)
        {
            Assert.Null(plan.Next(write, "conv3x3_int8"));
        }
    }

    [Theory]
    [InlineData(SimulatedFault.Fail, 1)]
    [InlineData(SimulatedFault.Hang, 0)]
    [InlineData(SimulatedFault.Hang, -1)]
    public void A_hang_time_is_positive_and_only_for_a_hang(SimulatedFault fault, int seconds)
    {
        var plan = new FaultPlan();

        Assert.Throws<ArgumentOutOfRangeException>(() => plan.OnNextWrite(fault, TimeSpan.FromSeconds(seconds)));
        Assert.Empty(plan.Pending);
    }
}
