using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// Byte offsets and bit fields of the convolution RMs' AXI4-Lite registers, the same for all six
/// modules. The definition is <c>hardware/register-map.json</c>; a test checks every constant here
/// against it (and none is missing or extra), so edit the JSON first.
/// </summary>
public static class ConvRegisterMap
{
    /// <summary>Bits 31:16 of <see cref="Id"/>: "CN".</summary>
    public const uint IdMagic = 0x434E;

    /// <summary>What <see cref="Version"/> reads: register map 2.0 (1.0 plus the channel registers).</summary>
    public const uint VersionValue = 0x0002_0000;

    public const int Id = 0x000;
    public const int Version = 0x004;
    public const int Caps = 0x008;
    public const int Caps2 = 0x00C;
    public const int Ctrl = 0x010;
    public const int Status = 0x014;
    public const int Ier = 0x018;
    public const int ImgW = 0x020;
    public const int ImgH = 0x024;
    public const int Frames = 0x028;
    public const int Config = 0x02C;
    public const int BiasLo = 0x030;
    public const int BiasHi = 0x034;
    public const int OutW = 0x038;
    public const int OutH = 0x03C;
    public const int Cycles = 0x040;
    public const int Cin = 0x044;
    public const int Cout = 0x048;

    /// <summary>Weight w[ky][kx] is at <c>WeightBase + WeightStride * (ky * K + kx)</c>.</summary>
    public const int WeightBase = 0x100;
    public const int WeightStride = 4;
    public const int WeightCount = 25;

    /// <summary>The Int64 bias of channel c of the group: low word at <c>BiasBase + 8c</c>, high word at <c>+ 4</c>.</summary>
    public const int BiasBase = 0x200;
    public const int BiasStride = 4;
    public const int BiasCount = 16;

    public const int IdPLsb = 0;
    public const int IdPWidth = 8;
    public const int IdKLsb = 8;
    public const int IdKWidth = 8;
    public const int IdMagicLsb = 16;
    public const int IdMagicWidth = 16;
    /// <summary>Entries of the module's line buffer (<c>LB_DEPTH</c> of hardware/rtl/conv_rm.v): a padded image row must fit it. Not a register field, so not public (the map's test counts those).</summary>
    private const int LineBufferDepth = 2048;

    /// <summary>The widest image (IMG_W) a module of kernel size <paramref name="k"/> takes: CAPS.MAX_WIDTH, the line buffer less K-1 padding columns.</summary>
    public static int MaxWidth(int k) => LineBufferDepth - (k - 1);

    public const int CapsMaxWidthLsb = 0;
    public const int CapsMaxWidthWidth = 16;
    public const int CapsRowClocksLsb = 16;
    public const int CapsRowClocksWidth = 8;
    public const int CapsStride2RowsLsb = 24;
    public const int CapsStride2RowsWidth = 1;
    public const int Caps2PiLsb = 0;
    public const int Caps2PiWidth = 8;
    public const int Caps2PoLsb = 8;
    public const int Caps2PoWidth = 8;
    public const int Caps2MaxCinLsb = 16;
    public const int Caps2MaxCinWidth = 16;
    public const int CtrlStartLsb = 0;
    public const int CtrlStartWidth = 1;
    public const int CtrlLoadWeightsLsb = 1;
    public const int CtrlLoadWeightsWidth = 1;
    public const int StatusBusyLsb = 0;
    public const int StatusBusyWidth = 1;
    public const int StatusDoneLsb = 1;
    public const int StatusDoneWidth = 1;
    public const int StatusErrorLsb = 2;
    public const int StatusErrorWidth = 1;
    public const int IerDoneLsb = 0;
    public const int IerDoneWidth = 1;
    public const int ImgWValueLsb = 0;
    public const int ImgWValueWidth = 16;
    public const int ImgHValueLsb = 0;
    public const int ImgHValueWidth = 16;
    public const int FramesValueLsb = 0;
    public const int FramesValueWidth = 32;
    public const int ConfigStrideLsb = 0;
    public const int ConfigStrideWidth = 2;
    public const int ConfigPadSameLsb = 4;
    public const int ConfigPadSameWidth = 1;
    public const int ConfigRawLsb = 8;
    public const int ConfigRawWidth = 1;
    public const int ConfigShiftLsb = 16;
    public const int ConfigShiftWidth = 6;
    public const int CinValueLsb = 0;
    public const int CinValueWidth = 16;
    public const int CoutValueLsb = 0;
    public const int CoutValueWidth = 8;

    /// <summary>The <see cref="Id"/> value of a loaded module: lets a driver check what is in the partition.</summary>
    public static uint IdFor(ConvModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return (IdMagic << IdMagicLsb) | ((uint)module.KernelSize << IdKLsb) | ((uint)module.Bits << IdPLsb);
    }

    /// <summary>The <see cref="Config"/> word of a job's spec.</summary>
    public static uint ConfigFor(ConvSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return ((uint)spec.Stride << ConfigStrideLsb)
            | ((spec.Padding == ConvPadding.Same ? 1u : 0u) << ConfigPadSameLsb)
            | ((spec.Output == ConvOutputMode.Raw ? 1u : 0u) << ConfigRawLsb)
            | ((uint)spec.Shift << ConfigShiftLsb);
    }
}
