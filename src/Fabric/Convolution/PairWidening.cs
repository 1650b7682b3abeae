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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreWidened(Vector256<int> acc, int shift, ref long destination)
    {
        var (lower, upper) = Vector256.Widen(acc);
        (lower << shift).StoreUnsafe(ref destination);
        (upper << shift).StoreUnsafe(ref Unsafe.Add(ref destination, Vector256<long>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreWidened(Vector128<int> acc, int shift, ref long destination)
    {
        var (lower, upper) = Vector128.Widen(acc);
        (lower << shift).StoreUnsafe(ref destination);
        (upper << shift).StoreUnsafe(ref Unsafe.Add(ref destination, Vector128<long>.Count));
    }

    /// <summary>destination[i] += 2^16·high[i] + (uint)(low[i] − 2^16·high[i]): see <see cref="SplitPairSums{TVec, TLanes}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSplit(Vector512<int> low, Vector512<int> high, ref long destination)
    {
        var (lower, upper) = Recover(low, high);
        ref var upperDestination = ref Unsafe.Add(ref destination, Vector512<long>.Count);
        (Vector512.LoadUnsafe(ref destination) + lower).StoreUnsafe(ref destination);
        (Vector512.LoadUnsafe(ref upperDestination) + upper).StoreUnsafe(ref upperDestination);
    }

    /// <summary>The exact sums 2^16·high + (uint)(low − 2^16·high) of split pair sums, lower and upper lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<long> Lower, Vector512<long> Upper) Recover(Vector512<int> low, Vector512<int> high)
    {
        var (lowerRest, upperRest) = Vector512.Widen((low - (high << 16)).AsUInt32());
        var (lowerHigh, upperHigh) = Vector512.Widen(high);
        return ((lowerHigh << 16) + lowerRest.AsInt64(), (upperHigh << 16) + upperRest.AsInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSplit(Vector256<int> low, Vector256<int> high, ref long destination)
    {
        var (lower, upper) = Recover(low, high);
        ref var upperDestination = ref Unsafe.Add(ref destination, Vector256<long>.Count);
        (Vector256.LoadUnsafe(ref destination) + lower).StoreUnsafe(ref destination);
        (Vector256.LoadUnsafe(ref upperDestination) + upper).StoreUnsafe(ref upperDestination);
    }

    /// <summary>The exact sums 2^16·high + (uint)(low − 2^16·high) of split pair sums, lower and upper lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<long> Lower, Vector256<long> Upper) Recover(Vector256<int> low, Vector256<int> high)
    {
        var (lowerRest, upperRest) = Vector256.Widen((low - (high << 16)).AsUInt32());
        var (lowerHigh, upperHigh) = Vector256.Widen(high);
        return ((lowerHigh << 16) + lowerRest.AsInt64(), (upperHigh << 16) + upperRest.AsInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSplit(Vector128<int> low, Vector128<int> high, ref long destination)
    {
        var (lower, upper) = Recover(low, high);
        ref var upperDestination = ref Unsafe.Add(ref destination, Vector128<long>.Count);
        (Vector128.LoadUnsafe(ref destination) + lower).StoreUnsafe(ref destination);
        (Vector128.LoadUnsafe(ref upperDestination) + upper).StoreUnsafe(ref upperDestination);
    }

    /// <summary>The exact sums 2^16·high + (uint)(low − 2^16·high) of split pair sums, lower and upper lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<long> Lower, Vector128<long> Upper) Recover(Vector128<int> low, Vector128<int> high)
    {
        var (lowerRest, upperRest) = Vector128.Widen((low - (high << 16)).AsUInt32());
        var (lowerHigh, upperHigh) = Vector128.Widen(high);
        return ((lowerHigh << 16) + lowerRest.AsInt64(), (upperHigh << 16) + upperRest.AsInt64());
    }
}
