using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dpr.Fabric.Convolution;

/// <summary>Int64 multiply-add on Vector128 (Int32 elements sign-extended on load); the multiply wraps modulo 2^64 like the definition.</summary>
internal readonly struct PortableWideLanes : IConvLanes<Vector128<long>, int>
{
    public static int Count => Vector128<long>.Count;

    public static Vector128<long> Zero => Vector128<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<long> Load(ref int source) => Vector128.WidenLower(Vector64.LoadUnsafe(ref source).ToVector128Unsafe());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<long> Broadcast(int value) => Vector128.Create((long)value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<long> MultiplyAdd(Vector128<long> acc, Vector128<long> q, Vector128<long> w) => acc + q * w;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector128<long> acc, int shift, ref long destination) =>
        (Vector128.LoadUnsafe(ref destination) + (acc << shift)).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<long> acc, int shift, ref long destination) =>
        (acc << shift).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(Vector128<long> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.Store(acc, ref bias, q, ref destination);
}
