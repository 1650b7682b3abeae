using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// <see cref="SplitPairSums{TVec, TLanes}"/> whose one-pass tiles requantize in Int32 lanes with a
/// <see cref="SplitBias"/>-encoded bias. A type of its own, chosen once per call, so that each tile loop
/// inlines only the requantization it runs.
/// </summary>
internal readonly struct SplitBiasPairSums<TVec, TLanes> : IAccumulator<TVec, int>
    where TVec : struct
    where TLanes : IPairLanes<TVec>
{
    public static int Registers => 2;

    public static bool EncodedBias => true;

    public static void EncodeBias(Span<long> bias, int lanes, int shift) => SplitBias.Encode(bias, lanes, shift);

    /// <summary>The encoded bias's bl, lanes Int32 after its bh (see <see cref="SplitBias"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Start(ref long bias) => TLanes.Load(ref Unsafe.Add(ref Unsafe.As<long, int>(ref bias), TLanes.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddLow(TVec low, TVec q, TVec w) => SplitPairSums<TVec, TLanes>.AddLow(low, q, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddHigh(TVec high, TVec q, TVec w) => SplitPairSums<TVec, TLanes>.AddHigh(high, q, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(TVec low, TVec high, int shift, ref long destination) =>
        SplitPairSums<TVec, TLanes>.Flush(low, high, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(TVec low, TVec high, ref long bias, in Requantization q, ref int destination) =>
        TLanes.RequantizeSplitBiased(low, high, ref bias, q, ref destination);
}
