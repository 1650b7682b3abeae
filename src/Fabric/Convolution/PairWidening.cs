using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dpr.Fabric.Convolution;

internal static class PairWidening
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(Vector256<int> acc, int shift, ref long destination)
    {
        var (lower, upper) = Vector256.Widen(acc);
        ref var upperDestination = ref Unsafe.Add(ref destination, Vector256<long>.Count);
        (Vector256.LoadUnsafe(ref destination) + (lower << shift)).StoreUnsafe(ref destination);
        (Vector256.LoadUnsafe(ref upperDestination) + (upper << shift)).StoreUnsafe(ref upperDestination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(Vector128<int> acc, int shift, ref long destination)
    {
        var (lower, upper) = Vector128.Widen(acc);
        ref var upperDestination = ref Unsafe.Add(ref destination, Vector128<long>.Count);
        (Vector128.LoadUnsafe(ref destination) + (lower << shift)).StoreUnsafe(ref destination);
        (Vector128.LoadUnsafe(ref upperDestination) + (upper << shift)).StoreUnsafe(ref upperDestination);
    }
}
