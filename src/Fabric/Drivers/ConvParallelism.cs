using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// How many channels a convolution RM computes at once (hardware/rtl/conv_rm.v, parameters PI, PO and KR,
/// read back from <c>CAPS2</c> and <c>CAPS</c>): <paramref name="InputLanes"/> input channels per chunk,
/// <paramref name="OutputLanes"/> output channels per pass (a group), the largest CIN its weight memory
/// holds, and <paramref name="RowClocks"/>, the clocks a chunk of an image column takes: 1 (the whole K x K
/// window a clock) or K (one kernel row a clock). Sized so the products of a clock fit the partition's
/// 80 DSP48E1 (docs/hardware.md, "Parallelism"). <paramref name="Stride2Rows"/> (<c>CAPS.STRIDE2_ROWS</c>):
/// stride 2 runs through the stride-2 front end, which computes only the kept windows.
/// </summary>
public sealed record ConvParallelism(int InputLanes, int OutputLanes, int MaxInputChannels, int RowClocks = 1, bool Stride2Rows = false)
{
    public static ConvParallelism For(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (pi, po) = (module.KernelSize, module.Bits) switch
        {
            (3, 8) => (4, 4),
            (3, 16) => (1, 8),
            (3, _) => (1, 6),
            (_, 8) => (3, 2),
            (_, 16) => (1, 3),
            _ => (1, 4),
        };
        // int32 takes a kernel row a clock: conv5x5_int32 4 x 5 int32 products = 80 DSP48E1, where a whole
        // 5x5 window (25 products) would take 100; conv3x3_int32 6 x 3 = 72 DSP48E1.
        var rowClocks = module.Bits == 32 ? module.KernelSize : 1;
        // conv3x3_int16 and conv3x3_int32 compute only the kept windows at stride 2, where one HP port
        // allows 50% of the ceiling only from PO = 5 (int16) and 3 (int32) on (docs/hardware.md,
        // "Stride-2 front end").
        return new ConvParallelism(pi, po, 256, rowClocks, module is { KernelSize: 3, Bits: 16 or 32 });
    }

    /// <summary>The <c>CAPS</c> word of a module of <paramref name="module"/>'s kernel size built with these figures.</summary>
    public uint Caps(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return ((Stride2Rows ? 1u : 0u) << ConvRegisterMap.CapsStride2RowsLsb)
            | ((uint)RowClocks << ConvRegisterMap.CapsRowClocksLsb) | (uint)ConvRegisterMap.MaxWidth(module.KernelSize);
    }

    /// <summary>The <c>CAPS2</c> word of a module built with these figures.</summary>
    public uint Caps2 =>
        ((uint)MaxInputChannels << ConvRegisterMap.Caps2MaxCinLsb) | ((uint)OutputLanes << ConvRegisterMap.Caps2PoLsb) | ((uint)InputLanes << ConvRegisterMap.Caps2PiLsb);

    /// <summary>What a module's <c>CAPS</c> and <c>CAPS2</c> say it computes at once.</summary>
    public static ConvParallelism FromCaps(uint caps, uint caps2) => new(
        (int)(caps2 >> ConvRegisterMap.Caps2PiLsb) & 0xFF,
        (int)(caps2 >> ConvRegisterMap.Caps2PoLsb) & 0xFF,
        (int)(caps2 >> ConvRegisterMap.Caps2MaxCinLsb) & 0xFFFF,
        (int)(caps >> ConvRegisterMap.CapsRowClocksLsb) & 0xFF,
        ((caps >> ConvRegisterMap.CapsStride2RowsLsb) & 1) != 0);

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
