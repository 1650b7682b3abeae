using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class CnnWorkloadTests
{
    [Fact]
    public void Layers_chain_and_use_all_six_modules()
    {
        foreach (var network in new[] { CnnWorkload.Mnist, CnnWorkload.Cifar })
        {
            for (var i = 1; i < network.Count; i++)
            {
                Assert.Equal(network[i - 1].Output, network[i].Input);
                Assert.True(network[i].Module.Bits >= network[i - 1].Module.Bits);
            }
        }

        Assert.Equal(ConvModule.All.OrderBy(m => m.Name.Value), CnnWorkload.All.Select(l => l.Module).Distinct().OrderBy(m => m.Name.Value));
        Assert.Equal(new TensorShape(1, 6, 24, 24), CnnWorkload.Mnist[0].Output);
        Assert.Equal(new TensorShape(1, 64, 8, 8), CnnWorkload.Cifar[^1].Output);
    }

    [Fact]
    public void Synthetic_data_is_deterministic_and_spans_the_precision()
    {
        var layer = CnnWorkload.Cifar[0];
        var weights = CnnWorkload.Weights(layer);

        Assert.Equal(weights, CnnWorkload.Weights(layer));
        Assert.NotEqual(weights, CnnWorkload.Weights(CnnWorkload.Cifar[1]).Take(weights.Length));
        Assert.InRange(weights.Min(), -32768, -30000);
        Assert.InRange(weights.Max(), 30000, 32767);
    }

    [Fact]
    public void Running_the_networks_layer_by_layer_gives_the_reference_outputs()
    {
        var kernel = new ConvKernel(2);
        foreach (var network in new[] { CnnWorkload.Mnist, CnnWorkload.Cifar })
        {
            var fast = CnnWorkload.Run(network, kernel.Requantized);
            var reference = CnnWorkload.Run(network, ConvReference.Requantized);

            Assert.Equal(reference, fast);
            // The shifts keep outputs spread over the range rather than all saturated or all zero.
            Assert.All(fast, output => Assert.True(output.Distinct().Count() > 50));
        }
    }
}
