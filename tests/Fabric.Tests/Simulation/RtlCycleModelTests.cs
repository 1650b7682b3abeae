using Dpr.Fabric.Convolution;
using Dpr.Fabric.Simulation;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>
/// <see cref="RtlCycleModel"/> on the CNN workload's layers gives the "Model cycles" recorded in
/// docs/hardware.md ("Throughput at 100 MHz"), each within 0.05% of the RTL's cycles under Icarus there:
/// whatever makes the model faster to compute must keep every one exact.
/// </summary>
public sealed class RtlCycleModelTests
{
    [Theory]
    [InlineData("mnist.conv1", 4_146)]
    [InlineData("mnist.conv2", 9_664)]
    [InlineData("mnist.conv3", 4_736)]
    [InlineData("cifar.conv1", 33_492)]
    [InlineData("cifar.conv2", 53_628)]
    [InlineData("cifar.conv3", 219_604)]
    [InlineData("cifar.conv4", 216_456)]
    [InlineData("cifar.conv5", 462_656)]
    public void Job_cycles_of_the_workload_layers_are_those_recorded(string name, long cycles)
    {
        var layer = CnnWorkload.All.Single(l => l.Name == name);

        Assert.Equal(cycles, RtlCycleModel.JobCycles(layer.Spec(), layer.Input, layer.Cout));
    }

    /// <summary>
    /// Passes beyond the workload, as the model walked them pixel by pixel before it kept a memo of rows:
    /// frames back to back, both paddings and strides, a serializer that holds the scan (one input
    /// channel into PO outputs), many chunks a column.
    /// </summary>
    [Theory]
    [InlineData("conv3x3_int8", 3, 1, 4, 1, ConvPadding.Same, 40, 37, 17_898)]
    [InlineData("conv3x3_int8", 1, 1, 4, 2, ConvPadding.Valid, 41, 39, 2_344)]
    [InlineData("conv3x3_int16", 2, 3, 4, 2, ConvPadding.Same, 17, 16, 824)]
    [InlineData("conv5x5_int16", 2, 7, 3, 2, ConvPadding.Same, 23, 30, 10_720)]
    [InlineData("conv5x5_int32", 1, 2, 1, 1, ConvPadding.Valid, 9, 200, 18_018)]
    [InlineData("conv5x5_int8", 2, 1, 2, 1, ConvPadding.Same, 12, 5, 369)]
    public void Pass_cycles_are_those_of_the_pixel_by_pixel_walk(string module, int n, int cin, int group, int stride, ConvPadding padding, int h, int w, long cycles)
    {
        var spec = new ConvSpec(ConvModule.Resolve(module), stride, padding, 0, ConvOutputMode.Requantized);

        Assert.Equal(cycles, RtlCycleModel.PassCycles(spec, new TensorShape(n, cin, h, w), group));
    }
}
