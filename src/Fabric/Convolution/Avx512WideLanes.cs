using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

internal readonly struct Avx512WideLanes : IConvLanes<Vector512<long>, long>
{
    public static int Count => Vector512<long>.Count;

    public static Vector512<long> Zero => Vector512<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<long> Load(ref long source) => Vector512.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<long> Broadcast(long value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<long> MultiplyAdd(Vector512<long> acc, Vector512<long> q, Vector512<long> w) =>
        Avx512F.Add(acc, Avx512F.Multiply(q.AsInt32(), w.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector512<long> acc, int shift, ref long destination) =>
        (Vector512.LoadUnsafe(ref destination) + (acc << shift)).StoreUnsafe(ref destination);
}
