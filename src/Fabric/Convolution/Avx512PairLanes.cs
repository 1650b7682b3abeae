using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

internal readonly struct Avx512PairLanes : IConvLanes<Vector512<int>, int>
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
}
