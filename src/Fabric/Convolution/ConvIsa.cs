namespace Dpr.Fabric.Convolution;

/// <summary>Instruction set of the fast kernel; internal so tests can force each path.</summary>
internal enum ConvIsa
{
    /// <summary>The best this CPU supports.</summary>
    Auto,

    /// <summary>Vector128 only: SSE on x86, AdvSimd on ARM (the board's Cortex-A9 NEON), software elsewhere.</summary>
    Portable,

    Avx2,

    /// <summary>AVX2 plus 256-bit VNNI (<c>vpdpwssd</c>) for the int8/int16 modules.</summary>
    AvxVnni,

    /// <summary>AVX-512 F + BW.</summary>
    Avx512,
}
