using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

internal readonly struct Avx2WideLanes : IConvLanes<Vector256<long>, long>
{
    public static int Count => Vector256<long>.Count;

    public static Vector256<long> Zero => Vector256<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<long> Load(ref long source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<long> Broadcast(long value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<long> MultiplyAdd(Vector256<long> acc, Vector256<long> q, Vector256<long> w) =>
        Avx2.Add(acc, Avx2.Multiply(q.AsInt32(), w.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector256<long> acc, int shift, ref long destination) =>
        (Vector256.LoadUnsafe(ref destination) + (acc << shift)).StoreUnsafe(ref destination);
}
