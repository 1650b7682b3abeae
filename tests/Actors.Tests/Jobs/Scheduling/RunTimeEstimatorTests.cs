using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;

namespace Dpr.Actors.Tests.Jobs.Scheduling;

public class RunTimeEstimatorTests
{
    private static readonly ConvSpec Conv5Int8 = new(ConvModule.Resolve("conv5x5_int8"), 1, ConvPadding.Same, 0, ConvOutputMode.Requantized);

    /// <summary>The heavy job: input 1x32x128x128, weights 32x32x5x5.</summary>
    private static readonly JobSize Heavy = JobSize.Of(Conv5Int8, new TensorShape(1, 32, 128, 128), new TensorShape(32, 32, 5, 5));

    /// <summary>A tiny one on the same module: 1x1x8x8 with one 5x5 kernel.</summary>
    private static readonly JobSize Tiny = JobSize.Of(Conv5Int8, new TensorShape(1, 1, 8, 8), new TensorShape(1, 1, 5, 5));

    [Fact]
    public void A_jobs_size_is_its_macs_and_the_passes_and_streams_of_the_driver()
    {
        Assert.Equal(32L * 32 * 25 * 128 * 128, Heavy.MultiplyAccumulates);
        Assert.Equal(1024, Heavy.Passes);
        // Several input channels: each pass returns raw 8-byte sums of 128x128, longer than its 16 KiB input.
        Assert.Equal(1024L * 128 * 128 * 8, Heavy.StreamBytes);
        Assert.Equal(new JobSize("conv5x5_int8", 8, 64 * 25, 1, 64), Tiny);
    }

    [Fact]
    public void The_model_is_the_longer_of_compute_and_streams_plus_a_setup_per_pass()
    {
        var estimator = new RunTimeEstimator();

        // Streams: 134 MB at 800 MB/s = 167.8 ms, longer than 2 x 419 M MAC at 81.2 GOPS = 10.3 ms; 1024 setups of 10 µs.
        Assert.Equal(0.16777216 + 0.01024, estimator.Modelled(Heavy), 9);
        Assert.Equal(TimeSpan.FromSeconds(estimator.Modelled(Heavy)).TotalMilliseconds, estimator.Estimate(Heavy).TotalMilliseconds, 3);
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
