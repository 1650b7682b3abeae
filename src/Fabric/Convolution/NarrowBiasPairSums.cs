using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// <see cref="LaneSums{TVec, TElem, TLanes}"/> of pair lanes whose one-pass tiles requantize in Int32 lanes with a
/// <see cref="NarrowBias"/>-encoded bias. A type of its own, chosen once per call, so that each tile loop inlines
/// only the requantization it runs.
/// </summary>
internal readonly struct NarrowBiasPairSums<TVec, TLanes> : IAccumulator<TVec, int>
    where TVec : struct
    where TLanes : IPairLanes<TVec>
{
    public static int Registers => 1;

    public static bool EncodedBias => true;

    public static void EncodeBias(Span<long> bias, int lanes, int shift) => NarrowBias.Encode(bias, lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start(ref long bias) => TLanes.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddLow(TVec low, TVec q, TVec w) => LaneSums<TVec, int, TLanes>.AddLow(low, q, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddHigh(TVec high, TVec q, TVec w) => LaneSums<TVec, int, TLanes>.AddHigh(high, q, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(TVec low, TVec high, int shift, ref long destination) =>
        LaneSums<TVec, int, TLanes>.Flush(low, high, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(TVec low, TVec high, ref long bias, in Requantization q, ref int destination) =>
        TLanes.RequantizeNarrow(low, ref bias, q, ref destination);
}
