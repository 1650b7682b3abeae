using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// <c>vpdpwssd</c>: the pair multiply and the add in one instruction. .NET 10 exposes VNNI only as
/// AVX-VNNI (256-bit, VEX); AVX512-VNNI without AVX10 (e.g. AMD Zen 4) is not reachable from C#.
/// </summary>
internal readonly struct AvxVnniPairLanes : IConvLanes<Vector256<int>, int>
{
    public static int Count => Vector256<int>.Count;

    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref int source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Broadcast(int value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyAdd(Vector256<int> acc, Vector256<int> q, Vector256<int> w) =>
        AvxVnni.MultiplyWideningAndAdd(acc, q.AsInt16(), w.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(Vector256<int> acc, int shift, ref long destination) =>
        PairWidening.AddWidened(acc, shift, ref destination);
}
