using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// How many channels a convolution RM computes at once (hardware/rtl/conv_rm.v, parameters PI and PO,
/// read back from <c>CAPS2</c>): <paramref name="InputLanes"/> input channels per clock (a chunk),
/// <paramref name="OutputLanes"/> output channels per pass (a group), and the largest CIN its weight
/// memory holds. Sized so PI x PO x K x K products fit the partition's 80 DSP48E1 (docs/hardware.md).
/// </summary>
public sealed record ConvParallelism(int InputLanes, int OutputLanes, int MaxInputChannels)
{
    public static ConvParallelism For(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (pi, po) = (module.KernelSize, module.Bits) switch
        {
            (3, 8) => (4, 4),
            (3, 16) => (2, 4),
            (3, _) => (1, 2),
            (_, 8) => (3, 2),
            (_, 16) => (1, 3),
            _ => (1, 1),
        };
        return new ConvParallelism(pi, po, 256);
    }

    /// <summary>The <c>CAPS2</c> word of a module built with these figures.</summary>
    public uint Caps2 =>
        ((uint)MaxInputChannels << ConvRegisterMap.Caps2MaxCinLsb) | ((uint)OutputLanes << ConvRegisterMap.Caps2PoLsb) | ((uint)InputLanes << ConvRegisterMap.Caps2PiLsb);

    /// <summary>What a module's <c>CAPS2</c> says it computes at once.</summary>
    public static ConvParallelism FromCaps2(uint caps2) => new(
        (int)(caps2 >> ConvRegisterMap.Caps2PiLsb) & 0xFF,
        (int)(caps2 >> ConvRegisterMap.Caps2PoLsb) & 0xFF,
        (int)(caps2 >> ConvRegisterMap.Caps2MaxCinLsb) & 0xFFFF);

    /// <summary>Elements of a weight word: PO x PI x K x K.</summary>
    public int WordElements(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return OutputLanes * InputLanes * module.KernelSize * module.KernelSize;
    }

    /// <summary>Chunks of <see cref="InputLanes"/> input channels: ceil(cin / PI).</summary>
    public int Chunks(int inputChannels) => (inputChannels + InputLanes - 1) / InputLanes;

    /// <summary>Passes over the input, one per group of <see cref="OutputLanes"/> output channels.</summary>
    public int Groups(int outputChannels) => (outputChannels + OutputLanes - 1) / OutputLanes;

    /// <summary>64-bit stream beats per weight word: ceil(PO x PI x K x K x P / 64).</summary>
    public int BeatsPerWeightWord(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return ((WordElements(module) * module.Bits) + 63) / 64;
    }
}
