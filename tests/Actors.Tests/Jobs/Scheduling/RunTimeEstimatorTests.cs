using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Simulation;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

public class RunTimeEstimatorTests
{
    private static readonly ConvSpec Conv5Int8 = new(ConvModule.Resolve("conv5x5_int8"), 1, ConvPadding.Same, 0, ConvOutputMode.Requantized);

    /// <summary>The heavy job: input 1x32x128x128, weights 32x32x5x5.</summary>
    private static readonly JobSize Heavy = JobSize.Of(Conv5Int8, new TensorShape(1, 32, 128, 128), new TensorShape(32, 32, 5, 5));

    /// <summary>A tiny one on the same module: 1x1x8x8 with one 5x5 kernel.</summary>
    private static readonly JobSize Tiny = JobSize.Of(Conv5Int8, new TensorShape(1, 1, 8, 8), new TensorShape(1, 1, 5, 5));

    [Fact]
    public void A_jobs_size_is_its_macs_and_the_passes_streams_and_rtl_cycles_of_the_driver()
    {
        Assert.Equal(32L * 32 * 25 * 128 * 128, Heavy.MultiplyAccumulates);
        // conv5x5_int8 sums all 32 input channels into a group of PO = 2 output channels a pass.
        Assert.Equal(16, Heavy.Passes);
        // Per pass the 32-channel input (512 KiB, longer than the group's 32 KiB of requantized output) and
        // ceil(32 / PI = 3) = 11 weight words of 19 beats.
        Assert.Equal(16L * ((128 * 128 * 32) + (11 * 19 * 8)), Heavy.StreamBytes);
        Assert.Equal(RtlCycleModel.JobCycles(Conv5Int8, new TensorShape(1, 32, 128, 128), 32), Heavy.ModuleCycles);
        // 150 products a clock (PI 3 x PO 2 x 25) over 33 lanes for 32 channels: about 97% busy.
        Assert.InRange(Heavy.MultiplyAccumulates / (double)Heavy.ModuleCycles, 140, 150);
        Assert.Equal(new JobSize("conv5x5_int8", 8, 64 * 25, 1, 64 + (19 * 8), RtlCycleModel.JobCycles(Conv5Int8, new TensorShape(1, 1, 8, 8), 1)), Tiny);
    }

    [Fact]
    public void The_model_is_the_rtl_cycles_at_100_MHz_plus_a_setup_per_pass()
    {
        var estimator = new RunTimeEstimator();

        Assert.Equal((Heavy.ModuleCycles / 100e6) + (16 * 10e-6), estimator.Modelled(Heavy), 9);
        Assert.Equal(TimeSpan.FromSeconds(estimator.Modelled(Heavy)).TotalMilliseconds, estimator.Estimate(Heavy).TotalMilliseconds, 3);
    }

    [Fact]
    public void With_the_papers_throughput_chosen_the_model_is_the_longer_of_compute_and_streams_plus_a_setup_per_pass()
    {
        var estimator = new RunTimeEstimator(ModuleThroughput.Paper);

        // Streams: 8.4 MB at 800 MB/s = 10.5 ms, longer than 2 x 419 M MAC at 81.2 GOPS = 10.3 ms; 16 setups of 10 µs.
        Assert.Equal((Heavy.StreamBytes / 800e6) + (16 * 10e-6), estimator.Modelled(Heavy), 9);
        Assert.True(Heavy.StreamBytes / 800e6 > 2.0 * Heavy.MultiplyAccumulates / 81.2e9);
    }

    [Fact]
    public void Measured_runs_of_one_size_scale_the_estimate()
    {
        var estimator = new RunTimeEstimator();
        var modelled = TimeSpan.FromSeconds(estimator.Modelled(Heavy));

        for (var i = 0; i < 20; i++)
        {
            estimator.Observe(Heavy, modelled / 2);
        }

        Assert.Equal((modelled / 2).TotalMilliseconds, estimator.Estimate(Heavy).TotalMilliseconds, 1);
    }

    [Fact]
    public void Runs_of_two_sizes_give_a_fixed_cost_and_a_factor_that_fit_both()
    {
        var estimator = new RunTimeEstimator();

        for (var i = 0; i < 20; i++)
        {
            estimator.Observe(i % 2 == 0 ? Heavy : Tiny, TimeSpan.FromMilliseconds(i % 2 == 0 ? 300 : 0.5));
        }

        Assert.Equal(300, estimator.Estimate(Heavy).TotalMilliseconds, 1);
        Assert.Equal(0.5, estimator.Estimate(Tiny).TotalMilliseconds, 1);
    }

    [Fact]
    public void Tiny_runs_alone_do_not_inflate_a_large_jobs_estimate()
    {
        var estimator = new RunTimeEstimator();

        for (var i = 0; i < 20; i++)
        {
            estimator.Observe(Tiny, TimeSpan.FromMilliseconds(0.5));
        }

        // The tiny jobs' time is taken as fixed cost: the heavy job is its model plus 0.5 ms, not 0.5 ms scaled up by 40x.
        Assert.Equal(TimeSpan.FromSeconds(estimator.Modelled(Heavy)).TotalMilliseconds + 0.5, estimator.Estimate(Heavy).TotalMilliseconds, 1);
    }

    [Fact]
    public void Each_module_learns_on_its_own()
    {
        var estimator = new RunTimeEstimator();
        var other = Heavy with { Module = "conv5x5_int16", Bits = 16 };
        var before = estimator.Estimate(other);

        estimator.Observe(Heavy, TimeSpan.FromSeconds(3));

        Assert.Equal(before, estimator.Estimate(other));
        Assert.Equal(3000, estimator.Estimate(Heavy).TotalMilliseconds, 1);
    }
}
