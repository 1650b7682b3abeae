using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>One vector of sums in the lanes' own width, for as many steps as the job's bounds allow.</summary>
internal readonly struct LaneSums<TVec, TElem, TLanes> : IAccumulator<TVec, TElem>
    where TVec : struct
    where TElem : unmanaged
    where TLanes : IConvLanes<TVec, TElem>
{
    public static int Registers => 1;

    public static bool EncodedBias => false;

    public static void EncodeBias(Span<long> bias, int lanes, int shift)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start(ref long bias) => TLanes.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddLow(TVec low, TVec q, TVec w) => TLanes.MultiplyAdd(low, q, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddHigh(TVec high, TVec q, TVec w) => high;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(TVec low, TVec high, int shift, ref long destination) => TLanes.Flush(low, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(TVec low, TVec high, ref long bias, in Requantization q, ref int destination) =>
        TLanes.Requantize(low, ref bias, q, ref destination);
}
