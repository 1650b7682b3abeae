using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

internal readonly struct Avx512PairLanes : IPairLanes<Vector512<int>>
{
    public static int Count => Vector512<int>.Count;

    public static Vector512<int> Zero => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Load(ref int source) => Vector512.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Broadcast(int value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MultiplyAdd(Vector512<int> acc, Vector512<int> q, Vector512<int> w) =>
        Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(q.AsInt16(), w.AsInt16()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector512<int> acc, int shift, ref long destination)
    {
        var (lower, upper) = Vector512.Widen(acc);
        ref var upperDestination = ref Unsafe.Add(ref destination, Vector512<long>.Count);
        (Vector512.LoadUnsafe(ref destination) + (lower << shift)).StoreUnsafe(ref destination);
        (Vector512.LoadUnsafe(ref upperDestination) + (upper << shift)).StoreUnsafe(ref upperDestination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<int> acc, int shift, ref long destination)
    {
        var (lower, upper) = Vector512.Widen(acc);
        (lower << shift).StoreUnsafe(ref destination);
        (upper << shift).StoreUnsafe(ref Unsafe.Add(ref destination, Vector512<long>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Multiply(Vector512<int> q, Vector512<int> w) => Avx512BW.MultiplyAddAdjacent(q.AsInt16(), w.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Add(Vector512<int> a, Vector512<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> High(Vector512<int> v) => Vector512.ShiftRightArithmetic(v, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushSplit(Vector512<int> low, Vector512<int> high, ref long destination) =>
        PairWidening.AddSplit(low, high, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(Vector512<int> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StorePairs(acc, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeNarrow(Vector512<int> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreNarrow(acc, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeSplit(Vector512<int> low, Vector512<int> high, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreSplit(low, high, ref bias, q, ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RequantizeSplitBiased(Vector512<int> low, Vector512<int> high, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.StoreSplitBiased(low, high, ref bias, q, ref destination);
}
