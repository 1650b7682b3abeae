using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// A channel tile's requantized outputs, [8 positions][16 channels], to NCHW, where each channel's 8
/// positions are contiguous: a transpose in registers (two rounds of unpacks, then 128-bit stores) instead
/// of 128 scalar moves, which took as long as the tile's multiplies for a 3-channel first layer.
/// </summary>
internal static class ChannelTranspose
{
    /// <summary>destination[c · stride + i] = source[i · 16 + c] for c &lt; 16, i &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16x8(ref int source, ref int destination, int stride)
    {
        // Round 1: per 128-bit lane k, (position i, i + 1) interleaved for channels 4k..4k+3.
        var l01 = Avx512F.UnpackLow(Vector512.LoadUnsafe(ref source), Vector512.LoadUnsafe(ref source, 16));
        var h01 = Avx512F.UnpackHigh(Vector512.LoadUnsafe(ref source), Vector512.LoadUnsafe(ref source, 16));
        var l23 = Avx512F.UnpackLow(Vector512.LoadUnsafe(ref source, 32), Vector512.LoadUnsafe(ref source, 48));
        var h23 = Avx512F.UnpackHigh(Vector512.LoadUnsafe(ref source, 32), Vector512.LoadUnsafe(ref source, 48));
        var l45 = Avx512F.UnpackLow(Vector512.LoadUnsafe(ref source, 64), Vector512.LoadUnsafe(ref source, 80));
        var h45 = Avx512F.UnpackHigh(Vector512.LoadUnsafe(ref source, 64), Vector512.LoadUnsafe(ref source, 80));
        var l67 = Avx512F.UnpackLow(Vector512.LoadUnsafe(ref source, 96), Vector512.LoadUnsafe(ref source, 112));
        var h67 = Avx512F.UnpackHigh(Vector512.LoadUnsafe(ref source, 96), Vector512.LoadUnsafe(ref source, 112));
        // Round 2: lane k of each holds 4 positions of one channel, 4k + (0, 1, 2, 3) for the four.
        StoreLanes(Avx512F.UnpackLow(l01.AsInt64(), l23.AsInt64()), Avx512F.UnpackLow(l45.AsInt64(), l67.AsInt64()), ref destination, stride);
        StoreLanes(Avx512F.UnpackHigh(l01.AsInt64(), l23.AsInt64()), Avx512F.UnpackHigh(l45.AsInt64(), l67.AsInt64()), ref Unsafe.Add(ref destination, stride), stride);
        StoreLanes(Avx512F.UnpackLow(h01.AsInt64(), h23.AsInt64()), Avx512F.UnpackLow(h45.AsInt64(), h67.AsInt64()), ref Unsafe.Add(ref destination, 2 * stride), stride);
        StoreLanes(Avx512F.UnpackHigh(h01.AsInt64(), h23.AsInt64()), Avx512F.UnpackHigh(h45.AsInt64(), h67.AsInt64()), ref Unsafe.Add(ref destination, 3 * stride), stride);
    }

    /// <summary>Lane k of <paramref name="first"/> (positions 0–3) and of <paramref name="second"/> (4–7) to channel row 4k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<long> first, Vector512<long> second, ref int destination, int stride)
    {
        var a = first.AsInt32();
        var b = second.AsInt32();
        ref var row1 = ref Unsafe.Add(ref destination, 4 * stride);
        ref var row2 = ref Unsafe.Add(ref destination, 8 * stride);
        ref var row3 = ref Unsafe.Add(ref destination, 12 * stride);
        a.GetLower().GetLower().StoreUnsafe(ref destination);
        b.GetLower().GetLower().StoreUnsafe(ref destination, 4);
        a.GetLower().GetUpper().StoreUnsafe(ref row1);
        b.GetLower().GetUpper().StoreUnsafe(ref row1, 4);
        a.GetUpper().GetLower().StoreUnsafe(ref row2);
        b.GetUpper().GetLower().StoreUnsafe(ref row2, 4);
        a.GetUpper().GetUpper().StoreUnsafe(ref row3);
        b.GetUpper().GetUpper().StoreUnsafe(ref row3, 4);
    }
}
