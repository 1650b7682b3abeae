using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;
using Dpr.Host.Hardware;

namespace Dpr.Host.Tests.Hardware;

/// <summary>
/// The simulated board's module against the hardware test vectors the RTL passes under Icarus
/// (<see cref="SimulationTests"/>): every case of every module, single- and multi-channel, run through
/// <see cref="ConvDriver"/> gives the vector's expected output, and takes the cycles of the model that
/// <see cref="RtlCycleModelTests"/> holds within 2% of the RTL's.
/// </summary>
public sealed class SimulatedModuleVectorsTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");

    [Fact]
    public async Task Every_hardware_vector_runs_bit_exact_on_the_simulated_module_in_the_rtls_cycles()
    {
        foreach (var module in ConvModule.All)
        {
            var board = new SimulatedBoard(PynqZ2, new SimulatedBoardOptions(DdrBytes: 4 << 20, KernelThreads: 1));
            await board.Port.WriteAsync(new ConfigurationImage(module.Name.Value, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, module.Name.Value))), null, CancellationToken.None);
            var driver = ConvDriver.Bind(new RegionBinding("conv"), PynqZ2, Conv, module, board, new MemoryRegion(0x10000000, 4 << 20));
            foreach (var c in HardwareVectors.Cases(module))
            {
                var p = c.Problem;

                var result = await driver.RunAsync(ConvJob.Encode(p), CancellationToken.None);

                var expected = p.Spec.Output == ConvOutputMode.Raw
                    ? TensorBytes.EncodeRaw(ConvReference.Raw(p))
                    : TensorBytes.Encode(ConvReference.Requantized(p), module.Bits / 8);
                Assert.True(expected.AsSpan().SequenceEqual(result.Output), $"{module.Name} case {c.Number} ({c.Description})");
                // Every vector is one pass (COUT <= PO, CIN <= MAX_CIN): one upload and one pass.
                Assert.Equal(1, result.Passes);
                Assert.Equal(RtlCycleModel.WeightUploadCycles(module, p.InputShape.C) + RtlCycleModel.PassCycles(p.Spec, p.InputShape, p.OutputShape.C), result.Cycles);
            }
        }
    }
}
