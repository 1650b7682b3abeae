using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// The pair multiply-add from plain Vector128 shifts and multiplies, which every .NET target
/// accelerates (SSE2, AdvSimd) or emulates: the path of ARM boards and of CPUs without AVX2.
/// </summary>
internal readonly struct PortablePairLanes : IPairLanes<Vector128<int>>
{
    public static int Count => Vector128<int>.Count;

    public static Vector128<int> Zero => Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Load(ref int source) => Vector128.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Broadcast(int value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> MultiplyAdd(Vector128<int> acc, Vector128<int> q, Vector128<int> w)
    {
        // Each half is sign-extended to 32 bits; the products and their sum fit as the caller's bounds promise.
        var qLow = Vector128.ShiftRightArithmetic(q << 16, 16);
        var wLow = Vector128.ShiftRightArithmetic(w << 16, 16);
        var qHigh = Vector128.ShiftRightArithmetic(q, 16);
        var wHigh = Vector128.ShiftRightArithmetic(w, 16);
        return acc + qLow * wLow + qHigh * wHigh;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector128<int> acc, int shift, ref long destination) =>
        PairWidening.AddWidened(acc, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<int> acc, int shift, ref long destination) =>
        PairWidening.StoreWidened(acc, shift, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Multiply(Vector128<int> q, Vector128<int> w) => MultiplyAdd(Vector128<int>.Zero, q, w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add(Vector128<int> a, Vector128<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> High(Vector128<int> v) => Vector128.ShiftRightArithmetic(v, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushSplit(Vector128<int> low, Vector128<int> high, ref long destination) =>
        PairWidening.AddSplit(low, high, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(Vector128<int> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StorePairs(acc, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeNarrow(Vector128<int> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreNarrow(acc, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeSplit(Vector128<int> low, Vector128<int> high, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreSplit(low, high, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeSplitBiased(Vector128<int> low, Vector128<int> high, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreSplitBiased(low, high, ref bias, q, ref destination);
}
