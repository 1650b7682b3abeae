using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;
using Dpr.Fabric.Mmio;
using Dpr.Fabric.Ports;
using Dpr.Fabric.Simulation;
using R = Dpr.Fabric.Drivers.ConvRegisterMap;

namespace Dpr.Fabric.Tests.Simulation;

/// <summary>
/// The simulated module keeps one weight memory per module across loads and clears it at each (instead of a new
/// array per swap): what a module was given before a swap must not be there after it. Each check runs one pass
/// without a weight upload, so its result is the weight memory itself: a K x K window of ones sums the taps of
/// weight word 0, and zeroed memory gives 0.
/// </summary>
public class SimulatedConvModuleWeightMemoryTests
{
    private static readonly Board PynqZ2 = BoardCatalog.Load("pynq-z2");
    private static readonly Partition Conv = PynqZ2.Partition("conv");
    private static readonly ConvModule Int16 = ConvModule.Resolve("conv3x3_int16");
    private static readonly ConvModule Int32 = ConvModule.Resolve("conv5x5_int32");

    private static SimulatedBoard NewBoard() => new(PynqZ2, new SimulatedBoardOptions(DdrBytes: 1 << 20, KernelThreads: 1));

    private static async Task Load(SimulatedBoard board, ConvModule module) =>
        await board.Port.WriteAsync(new ConfigurationImage(module.Name.Value, BitstreamReader.Read(SyntheticBitstream.Partial(PynqZ2, Conv, module.Name.Value))), null, CancellationToken.None);

    private static IMemoryWindow Registers(SimulatedBoard board) => board.Map(Conv.ModuleAddress, Conv.ModuleSpan);

    /// <summary>Every tap of weight word 0 set to <paramref name="value"/> through the single-channel WEIGHT registers.</summary>
    private static void WriteWeights(SimulatedBoard board, ConvModule module, int value)
    {
        var registers = Registers(board);
        for (var tap = 0; tap < module.KernelSize * module.KernelSize; tap++)
        {
            registers.Write32(R.WeightBase + (R.WeightStride * tap), (uint)value);
        }
    }

    /// <summary>One pass of one K x K frame of ones, one input and one output channel, bias 0, without uploading weights: the sum of the taps held.</summary>
    private static int SumOfHeldWeights(SimulatedBoard board, ConvModule module)
    {
        var registers = Registers(board);
        var dma = board.Map(Conv.DmaAddress!.Value, AxiDmaRegisters.Span);
        var k = module.KernelSize;
        var width = module.Bits / 8;
        var input = new byte[k * k * width];
        for (var i = 0; i < k * k; i++)
        {
            TensorBytes.Write(input, i, width, 1);
        }
        var inAddress = board.Ddr.BaseAddress;
        var outAddress = inAddress + 4096;
        board.Ddr.Write(0, input);
        board.Ddr.Write(4096, new byte[width]);
        registers.Write32(R.Cin, 1);
        registers.Write32(R.Cout, 1);
        registers.Write32(R.Config, R.ConfigFor(new ConvSpec(module, 1, ConvPadding.Valid, 0, ConvOutputMode.Requantized)));
        registers.Write32(R.ImgW, (uint)k);
        registers.Write32(R.ImgH, (uint)k);
        registers.Write32(R.Frames, 1);
        registers.Write32(R.Ctrl, 1u << R.CtrlStartLsb);
        dma.Write32(AxiDmaRegisters.S2mmControl, AxiDmaRegisters.ControlRun);
        dma.Write32(AxiDmaRegisters.S2mmDestinationAddress, (uint)outAddress);
        dma.Write32(AxiDmaRegisters.S2mmLength, (uint)width);
        dma.Write32(AxiDmaRegisters.Mm2sControl, AxiDmaRegisters.ControlRun);
        dma.Write32(AxiDmaRegisters.Mm2sSourceAddress, (uint)inAddress);
        dma.Write32(AxiDmaRegisters.Mm2sLength, (uint)input.Length);
        Assert.Equal(1u << R.StatusDoneLsb, registers.Read32(R.Status) & ((1u << R.StatusDoneLsb) | (1u << R.StatusErrorLsb)));
        var output = new byte[width];
        board.Ddr.Read(4096, output);
        return TensorBytes.Read(output, 0, width);
    }

    [Fact]
    public async Task The_check_sees_the_weights_a_module_holds()
    {
        var board = NewBoard();
        await Load(board, Int16);

        WriteWeights(board, Int16, 3);

        Assert.Equal(3 * 9, SumOfHeldWeights(board, Int16));
    }

    [Fact]
    public async Task A_module_loaded_again_after_a_swap_starts_from_zeroed_weights()
    {
        var board = NewBoard();
        await Load(board, Int16);
        WriteWeights(board, Int16, 3);
        await Load(board, Int32);
        Assert.Equal(0, SumOfHeldWeights(board, Int32));
        WriteWeights(board, Int32, 5);
        Assert.Equal(5 * 25, SumOfHeldWeights(board, Int32));

        await Load(board, Int16);
        Assert.Equal(0, SumOfHeldWeights(board, Int16));
        WriteWeights(board, Int16, 7);
        await Load(board, Int32);

        // Every swap clears, whichever module's memory held weights last.
        Assert.Equal(0, SumOfHeldWeights(board, Int32));
        await Load(board, Int16);
        Assert.Equal(0, SumOfHeldWeights(board, Int16));
    }

    [Fact]
    public async Task A_module_reloaded_after_an_upset_starts_from_zeroed_weights()
    {
        var board = NewBoard();
        await Load(board, Int32);
        WriteWeights(board, Int32, 4);

        board.Strike(Conv, correctable: false);
        // The spoiled partition answers as some module (garbage results), which resets what the memory held.
        Assert.NotEqual(0u, Registers(board).Read32(R.Id));
        await Load(board, Int32);

        Assert.Equal(0, SumOfHeldWeights(board, Int32));
    }
}
