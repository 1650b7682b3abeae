using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

internal readonly struct Avx512WideLanes : IConvLanes<Vector512<long>, int>
{
    public static int Count => Vector512<long>.Count;

    public static Vector512<long> Zero => Vector512<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<long> Load(ref int source) => Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref source));

    /// <remarks><c>vpmuldq</c> reads only the low Int32 of each lane, so a 32-bit broadcast serves (and folds into the multiply).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<long> Broadcast(int value) => Vector512.Create(value).AsInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<long> MultiplyAdd(Vector512<long> acc, Vector512<long> q, Vector512<long> w) =>
        Avx512F.Add(acc, Avx512F.Multiply(q.AsInt32(), w.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector512<long> acc, int shift, ref long destination) =>
        (Vector512.LoadUnsafe(ref destination) + (acc << shift)).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<long> acc, int shift, ref long destination) =>
        (acc << shift).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(Vector512<long> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.Store(acc, ref bias, q, ref destination);
}
