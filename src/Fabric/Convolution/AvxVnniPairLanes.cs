using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// <c>vpdpwssd</c>: the pair multiply and the add in one instruction. .NET 10 exposes VNNI only as
/// AVX-VNNI (256-bit, VEX); AVX512-VNNI without AVX10 (e.g. AMD Zen 4) is not reachable from C#.
/// </summary>
internal readonly struct AvxVnniPairLanes : IPairLanes<Vector256<int>>
{
    public static int Count => Vector256<int>.Count;

    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref int source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Broadcast(int value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyAdd(Vector256<int> acc, Vector256<int> q, Vector256<int> w) =>
        AvxVnni.MultiplyWideningAndAdd(acc, q.AsInt16(), w.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector256<int> acc, int shift, ref long destination) =>
        PairWidening.AddWidened(acc, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> acc, int shift, ref long destination) =>
        PairWidening.StoreWidened(acc, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Multiply(Vector256<int> q, Vector256<int> w) => Avx2.MultiplyAddAdjacent(q.AsInt16(), w.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> High(Vector256<int> v) => Vector256.ShiftRightArithmetic(v, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushSplit(Vector256<int> low, Vector256<int> high, ref long destination) =>
        PairWidening.AddSplit(low, high, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(Vector256<int> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StorePairs(acc, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeNarrow(Vector256<int> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreNarrow(acc, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeSplit(Vector256<int> low, Vector256<int> high, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreSplit(low, high, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeSplitBiased(Vector256<int> low, Vector256<int> high, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreSplitBiased(low, high, ref bias, q, ref destination);
}
