using Dpr.Tests;

namespace Dpr.Actors.Tests;

public class SteadyClockTests
{
    [Fact]
    public void Now_moves_with_monotonic_time_only_and_wall_stamps_keep_their_distance()
    {
        var time = new JumpingClock();
        var clock = new SteadyClock(time);
        var start = clock.Now;
        var acceptedWall = time.GetUtcNow() - TimeSpan.FromSeconds(3);
        var deadlineWall = time.GetUtcNow() + TimeSpan.FromSeconds(10);
        var accepted = clock.FromWallPast(acceptedWall);
        var deadline = clock.FromWall(deadlineWall);

        time.Jump(TimeSpan.FromDays(-400));
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(start + TimeSpan.FromSeconds(2), clock.Now);
        Assert.Equal(TimeSpan.FromSeconds(5), clock.Now - accepted);
        Assert.Equal(TimeSpan.FromSeconds(8), deadline - clock.Now);
        // A stamp the wall clock now puts in the future is taken as now, not as a job from the future.
        Assert.Equal(clock.Now, clock.FromWallPast(acceptedWall));
    }
}
