using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

internal readonly struct Avx2WideLanes : IConvLanes<Vector256<long>, int>
{
    public static int Count => Vector256<long>.Count;

    public static Vector256<long> Zero => Vector256<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<long> Load(ref int source) => Avx2.ConvertToVector256Int64(Vector128.LoadUnsafe(ref source));

    /// <remarks><c>vpmuldq</c> reads only the low Int32 of each lane, so a 32-bit broadcast serves.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<long> Broadcast(int value) => Vector256.Create(value).AsInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<long> MultiplyAdd(Vector256<long> acc, Vector256<long> q, Vector256<long> w) =>
        Avx2.Add(acc, Avx2.Multiply(q.AsInt32(), w.AsInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector256<long> acc, int shift, ref long destination) =>
        (Vector256.LoadUnsafe(ref destination) + (acc << shift)).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<long> acc, int shift, ref long destination) =>
        (acc << shift).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requantize(Vector256<long> acc, ref long bias, in Requantization q, ref int destination) =>
        LaneRequantization.Store(acc, ref bias, q, ref destination);
}
