using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// One input row of every channel, NCHW, to a pixel-major row of <see cref="ChannelGeometry"/>: value
/// (c, ci) of the row goes to c·Cin + ci. Blocks of 8 channels × 8 columns (Int16) or 4 × 4 (Int32) are
/// transposed in SSE registers, 8 or 4 stores of a column's channels where the scalar loop made one store
/// per value at a stride of Cin (a 32-channel 32x32 image: about 40 % of cifar.conv2's time on one thread).
/// </summary>
internal static class PixelTranspose
{
    /// <summary><see cref="Columns16Of3"/>'s tables for its first 32 outputs and its last 16: built once, not per row.</summary>
    private static readonly Vector512<short> FirstOf3 = Interleaved3(0);

    private static readonly Vector512<short> SecondOf3 = Interleaved3(Vector512<short>.Count);

    /// <summary>Whether <see cref="Columns16"/> and <see cref="Columns32"/> can run here.</summary>
    public static bool IsSupported => Sse2.IsSupported;

    /// <summary>
    /// Columns [0, result) of a row, as Int16 (x &gt;&gt; shift) &amp; mask: source[ci·channelStride + c] to
    /// destination[c·cin + ci]. Every result value must fit Int16 (a digit of a P ≤ 16 input does). Does the
    /// whole columns of 8 when cin is a multiple of 8, otherwise nothing; the caller packs the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Columns16(ReadOnlySpan<int> source, int channelStride, int cin, int width, Span<short> destination, int shift, int mask)
    {
        const int Block = 8;
        var columns = Columns(Block, source.Length, channelStride, cin, width, destination.Length);
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var maskVector = Vector128.Create(mask);
        for (var ci = 0; ci < cin; ci += Block)
        {
            ref var channels = ref Unsafe.Add(ref from, (nint)ci * channelStride);
            for (var c = 0; c < columns; c += Block)
            {
                ref var at = ref Unsafe.Add(ref channels, c);
                var r0 = Row16(ref at, 0, channelStride, shift, maskVector);
                var r1 = Row16(ref at, 1, channelStride, shift, maskVector);
                var r2 = Row16(ref at, 2, channelStride, shift, maskVector);
                var r3 = Row16(ref at, 3, channelStride, shift, maskVector);
                var r4 = Row16(ref at, 4, channelStride, shift, maskVector);
                var r5 = Row16(ref at, 5, channelStride, shift, maskVector);
                var r6 = Row16(ref at, 6, channelStride, shift, maskVector);
                var r7 = Row16(ref at, 7, channelStride, shift, maskVector);
                // Channel pairs per column, then quads, then all 8 channels of a column in one vector.
                var t0 = Sse2.UnpackLow(r0, r1).AsInt32();
                var t1 = Sse2.UnpackHigh(r0, r1).AsInt32();
                var t2 = Sse2.UnpackLow(r2, r3).AsInt32();
                var t3 = Sse2.UnpackHigh(r2, r3).AsInt32();
                var t4 = Sse2.UnpackLow(r4, r5).AsInt32();
                var t5 = Sse2.UnpackHigh(r4, r5).AsInt32();
                var t6 = Sse2.UnpackLow(r6, r7).AsInt32();
                var t7 = Sse2.UnpackHigh(r6, r7).AsInt32();
                var u0 = Sse2.UnpackLow(t0, t2).AsInt64();
                var u1 = Sse2.UnpackHigh(t0, t2).AsInt64();
                var u2 = Sse2.UnpackLow(t1, t3).AsInt64();
                var u3 = Sse2.UnpackHigh(t1, t3).AsInt64();
                var u4 = Sse2.UnpackLow(t4, t6).AsInt64();
                var u5 = Sse2.UnpackHigh(t4, t6).AsInt64();
                var u6 = Sse2.UnpackLow(t5, t7).AsInt64();
                var u7 = Sse2.UnpackHigh(t5, t7).AsInt64();
                ref var column = ref Unsafe.Add(ref to, (nint)c * cin + ci);
                Sse2.UnpackLow(u0, u4).AsInt16().StoreUnsafe(ref column);
                Sse2.UnpackHigh(u0, u4).AsInt16().StoreUnsafe(ref column, (nuint)cin);
                Sse2.UnpackLow(u1, u5).AsInt16().StoreUnsafe(ref column, (nuint)(2 * cin));
                Sse2.UnpackHigh(u1, u5).AsInt16().StoreUnsafe(ref column, (nuint)(3 * cin));
                Sse2.UnpackLow(u2, u6).AsInt16().StoreUnsafe(ref column, (nuint)(4 * cin));
                Sse2.UnpackHigh(u2, u6).AsInt16().StoreUnsafe(ref column, (nuint)(5 * cin));
                Sse2.UnpackLow(u3, u7).AsInt16().StoreUnsafe(ref column, (nuint)(6 * cin));
                Sse2.UnpackHigh(u3, u7).AsInt16().StoreUnsafe(ref column, (nuint)(7 * cin));
            }
        }
        return columns;
    }

    /// <summary>
    /// Columns [0, result) of a row of 3 channels (an RGB first layer, which <see cref="Columns16"/> leaves to the
    /// scalar loop), as Int16 (x &gt;&gt; shift) &amp; mask like it: 16 columns at a time, each channel's 16 values
    /// narrowed in one register and the three interleaved by two <c>vpermt2w</c> (AVX-512 BW; otherwise nothing).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Columns16Of3(ReadOnlySpan<int> source, int channelStride, int width, Span<short> destination, int shift, int mask)
    {
        const int Block = 16;
        const int Cin = 3;
        if (!Avx512BW.IsSupported || width < Block)
        {
            return 0;
        }
        var columns = width / Block * Block;
        if ((long)(Cin - 1) * channelStride + columns > source.Length || (long)columns * Cin > destination.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{Cin} channels of {columns} columns do not fit the row");
        }
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var maskVector = Vector512.Create(mask);
        for (var c = 0; c < columns; c += Block)
        {
            ref var at = ref Unsafe.Add(ref from, c);
            // Shorts 0–15 channel 0, 16–31 channel 1, 32–47 (the second table) channel 2.
            var low = Vector512.Create(Narrow(ref at, shift, maskVector), Narrow(ref Unsafe.Add(ref at, channelStride), shift, maskVector));
            var high = Narrow(ref Unsafe.Add(ref at, 2 * channelStride), shift, maskVector).ToVector512Unsafe();
            ref var column = ref Unsafe.Add(ref to, (nint)c * Cin);
            Avx512BW.PermuteVar32x16x2(low, FirstOf3, high).StoreUnsafe(ref column);
            Avx512BW.PermuteVar32x16x2(low, SecondOf3, high).GetLower().StoreUnsafe(ref column, (nuint)Vector512<short>.Count);
        }
        return columns;
    }

    /// <summary>16 values as Int16 digits (they fit, so the saturating narrow truncates nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Narrow(ref int at, int shift, Vector512<int> mask) =>
        Avx512F.ConvertToVector256Int16WithSaturation(Vector512.ShiftRightArithmetic(Vector512.LoadUnsafe(ref at), shift) & mask);

    /// <summary>The vpermt2w table of outputs [start, start + 32): output k = 3·column + channel reads channel·16 + column.</summary>
    private static Vector512<short> Interleaved3(int start)
    {
        Span<short> table = stackalloc short[Vector512<short>.Count];
        for (var i = 0; i < table.Length; i++)
        {
            var k = Math.Min(start + i, 47);
            table[i] = (short)(k % 3 * 16 + k / 3);
        }
        return Vector512.Create<short>(table);
    }

    /// <summary>
    /// Columns [0, result) of a row as Int32: source[ci·channelStride + c] to destination[c·cin + ci]. Does the
    /// whole columns of 4 when cin is a multiple of 4, otherwise nothing; the caller packs the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Columns32(ReadOnlySpan<int> source, int channelStride, int cin, int width, Span<int> destination)
    {
        const int Block = 4;
        var columns = Columns(Block, source.Length, channelStride, cin, width, destination.Length);
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        for (var ci = 0; ci < cin; ci += Block)
        {
            ref var channels = ref Unsafe.Add(ref from, (nint)ci * channelStride);
            for (var c = 0; c < columns; c += Block)
            {
                ref var at = ref Unsafe.Add(ref channels, c);
                var r0 = Vector128.LoadUnsafe(ref at);
                var r1 = Vector128.LoadUnsafe(ref at, (nuint)channelStride);
                var r2 = Vector128.LoadUnsafe(ref at, (nuint)(2 * channelStride));
                var r3 = Vector128.LoadUnsafe(ref at, (nuint)(3 * channelStride));
                var t0 = Sse2.UnpackLow(r0, r1).AsInt64();
                var t1 = Sse2.UnpackHigh(r0, r1).AsInt64();
                var t2 = Sse2.UnpackLow(r2, r3).AsInt64();
                var t3 = Sse2.UnpackHigh(r2, r3).AsInt64();
                ref var column = ref Unsafe.Add(ref to, (nint)c * cin + ci);
                Sse2.UnpackLow(t0, t2).AsInt32().StoreUnsafe(ref column);
                Sse2.UnpackHigh(t0, t2).AsInt32().StoreUnsafe(ref column, (nuint)cin);
                Sse2.UnpackLow(t1, t3).AsInt32().StoreUnsafe(ref column, (nuint)(2 * cin));
                Sse2.UnpackHigh(t1, t3).AsInt32().StoreUnsafe(ref column, (nuint)(3 * cin));
            }
        }
        return columns;
    }

    /// <summary>
    /// The whole blocks of columns a row has when cin is a multiple of the block, else 0; checks that the last
    /// block reads and writes inside the spans ((cin − 1)·channelStride + columns values, columns·cin values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Columns(int block, int sourceLength, int channelStride, int cin, int width, int destinationLength)
    {
        if (!IsSupported || cin % block != 0 || width < block)
        {
            return 0;
        }
        var columns = width / block * block;
        if ((long)(cin - 1) * channelStride + columns > sourceLength || (long)columns * cin > destinationLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{cin} channels of {columns} columns do not fit the row");
        }
        return columns;
    }

    /// <summary>8 columns of channel number <paramref name="channel"/> of the block as Int16 digits (they fit, so the saturating pack truncates nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Row16(ref int at, int channel, int channelStride, int shift, Vector128<int> mask)
    {
        ref var row = ref Unsafe.Add(ref at, (nint)channel * channelStride);
        var low = Vector128.ShiftRightArithmetic(Vector128.LoadUnsafe(ref row), shift) & mask;
        var high = Vector128.ShiftRightArithmetic(Vector128.LoadUnsafe(ref row, 4), shift) & mask;
        return Sse2.PackSignedSaturate(low, high);
    }
}
