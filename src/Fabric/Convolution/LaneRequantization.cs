using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// A tile's finished sums requantized in registers: destination[i] = saturate(round_shift(sum[i] + bias[i]))
/// as docs/convolution.md defines, for a tile that summed all its steps in one pass, so its Int64 sums
/// never go to memory and back. Pair lanes widen their Int32 sums (or recover split sums) first.
/// </summary>
internal static class LaneRequantization
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<long> sum, ref long bias, in Requantization q, ref int destination)
    {
        var v = Apply(sum, ref bias, q);
        Vector512.Narrow(v, v).GetLower().StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> Apply(Vector512<long> sum, ref long bias, in Requantization q)
    {
        var v = sum + Vector512.LoadUnsafe(ref bias);
        if (q.Shift != 0)
        {
            v = Vector512.ShiftRightArithmetic(v, q.Shift) + (Vector512.ShiftRightArithmetic(v, q.Shift - 1) & Vector512<long>.One);
        }
        return Vector512.Min(Vector512.Max(v, Vector512.Create(q.Min)), Vector512.Create(q.Max));
    }

    /// <summary>Both halves narrowed into one vector and stored at once, as the tile's transpose then loads it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreHalves(Vector512<long> lower, Vector512<long> upper, ref long bias, in Requantization q, ref int destination) =>
        Vector512.Narrow(Apply(lower, ref bias, q), Apply(upper, ref Unsafe.Add(ref bias, Vector512<long>.Count), q)).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<long> sum, ref long bias, in Requantization q, ref int destination)
    {
        var v = Apply(sum, ref bias, q);
        Vector256.Narrow(v, v).GetLower().StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> Apply(Vector256<long> sum, ref long bias, in Requantization q)
    {
        var v = sum + Vector256.LoadUnsafe(ref bias);
        if (q.Shift != 0)
        {
            v = Vector256.ShiftRightArithmetic(v, q.Shift) + (Vector256.ShiftRightArithmetic(v, q.Shift - 1) & Vector256<long>.One);
        }
        return Vector256.Min(Vector256.Max(v, Vector256.Create(q.Min)), Vector256.Create(q.Max));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreHalves(Vector256<long> lower, Vector256<long> upper, ref long bias, in Requantization q, ref int destination) =>
        Vector256.Narrow(Apply(lower, ref bias, q), Apply(upper, ref Unsafe.Add(ref bias, Vector256<long>.Count), q)).StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<long> sum, ref long bias, in Requantization q, ref int destination)
    {
        var v = Apply(sum, ref bias, q);
        Vector128.Narrow(v, v).GetLower().StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<long> Apply(Vector128<long> sum, ref long bias, in Requantization q)
    {
        var v = sum + Vector128.LoadUnsafe(ref bias);
        if (q.Shift != 0)
        {
            v = Vector128.ShiftRightArithmetic(v, q.Shift) + (Vector128.ShiftRightArithmetic(v, q.Shift - 1) & Vector128<long>.One);
        }
        return Vector128.Min(Vector128.Max(v, Vector128.Create(q.Min)), Vector128.Create(q.Max));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreHalves(Vector128<long> lower, Vector128<long> upper, ref long bias, in Requantization q, ref int destination) =>
        Vector128.Narrow(Apply(lower, ref bias, q), Apply(upper, ref Unsafe.Add(ref bias, Vector128<long>.Count), q)).StoreUnsafe(ref destination);

    /// <summary>Pair sums with a <see cref="NarrowBias"/>-encoded bias: v = sum + b, round_s(v) = t − (t &gt;&gt; 1) with t = v &gt;&gt; (s − 1), saturated, in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrow(Vector512<int> sum, ref long bias, in Requantization q, ref int destination)
    {
        var v = sum + Vector512.LoadUnsafe(ref Unsafe.As<long, int>(ref bias));
        if (q.Shift != 0)
        {
            // Shift counts wrap at 32; past 31, v >> (s − 1) of |v| < 2^31 is its sign, v >> 31.
            v = Vector512.ShiftRightArithmetic(v, Math.Min(q.Shift - 1, 31));
            v -= Vector512.ShiftRightArithmetic(v, 1);
        }
        Vector512.Min(Vector512.Max(v, Vector512.Create((int)q.Min)), Vector512.Create((int)q.Max)).StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePairs(Vector512<int> sum, ref long bias, in Requantization q, ref int destination)
    {
        var (lower, upper) = Vector512.Widen(sum);
        StoreHalves(lower, upper, ref bias, q, ref destination);
    }

    /// <summary>Pair sums with a <see cref="NarrowBias"/>-encoded bias: v = sum + b, round_s(v) = t − (t &gt;&gt; 1) with t = v &gt;&gt; (s − 1), saturated, in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrow(Vector256<int> sum, ref long bias, in Requantization q, ref int destination)
    {
        var v = sum + Vector256.LoadUnsafe(ref Unsafe.As<long, int>(ref bias));
        if (q.Shift != 0)
        {
            // Shift counts wrap at 32; past 31, v >> (s − 1) of |v| < 2^31 is its sign, v >> 31.
            v = Vector256.ShiftRightArithmetic(v, Math.Min(q.Shift - 1, 31));
            v -= Vector256.ShiftRightArithmetic(v, 1);
        }
        Vector256.Min(Vector256.Max(v, Vector256.Create((int)q.Min)), Vector256.Create((int)q.Max)).StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePairs(Vector256<int> sum, ref long bias, in Requantization q, ref int destination)
    {
        var (lower, upper) = Vector256.Widen(sum);
        StoreHalves(lower, upper, ref bias, q, ref destination);
    }

    /// <summary>Pair sums with a <see cref="NarrowBias"/>-encoded bias: v = sum + b, round_s(v) = t − (t &gt;&gt; 1) with t = v &gt;&gt; (s − 1), saturated, in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNarrow(Vector128<int> sum, ref long bias, in Requantization q, ref int destination)
    {
        var v = sum + Vector128.LoadUnsafe(ref Unsafe.As<long, int>(ref bias));
        if (q.Shift != 0)
        {
            // Shift counts wrap at 32; past 31, v >> (s − 1) of |v| < 2^31 is its sign, v >> 31.
            v = Vector128.ShiftRightArithmetic(v, Math.Min(q.Shift - 1, 31));
            v -= Vector128.ShiftRightArithmetic(v, 1);
        }
        Vector128.Min(Vector128.Max(v, Vector128.Create((int)q.Min)), Vector128.Create((int)q.Max)).StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePairs(Vector128<int> sum, ref long bias, in Requantization q, ref int destination)
    {
        var (lower, upper) = Vector128.Widen(sum);
        StoreHalves(lower, upper, ref bias, q, ref destination);
    }

    /// <summary>Split sums (see <see cref="SplitPairSums{TVec, TLanes}"/>), recovered as <see cref="PairWidening.Recover(Vector512{int}, Vector512{int})"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSplit(Vector512<int> low, Vector512<int> high, ref long bias, in Requantization q, ref int destination)
    {
        var (lower, upper) = PairWidening.Recover(low, high);
        StoreHalves(lower, upper, ref bias, q, ref destination);
    }

    /// <summary>Split sums whose low sum started at bl (<see cref="SplitBias"/>): A = high + bh + ((L + bl) &gt;&gt; 16), then A &gt;&gt; (s − 16), saturated, in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSplitBiased(Vector512<int> low, Vector512<int> high, ref long bias, in Requantization q, ref int destination)
    {
        var a = high + Vector512.LoadUnsafe(ref Unsafe.As<long, int>(ref bias)) + ((low - (high << 16)).AsUInt32() >> 16).AsInt32();
        var v = Vector512.ShiftRightArithmetic(a, q.Shift - 16);
        Vector512.Min(Vector512.Max(v, Vector512.Create((int)q.Min)), Vector512.Create((int)q.Max)).StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSplit(Vector256<int> low, Vector256<int> high, ref long bias, in Requantization q, ref int destination)
    {
        var (lower, upper) = PairWidening.Recover(low, high);
        StoreHalves(lower, upper, ref bias, q, ref destination);
    }

    /// <summary>Split sums whose low sum started at bl (<see cref="SplitBias"/>): A = high + bh + ((L + bl) &gt;&gt; 16), then A &gt;&gt; (s − 16), saturated, in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSplitBiased(Vector256<int> low, Vector256<int> high, ref long bias, in Requantization q, ref int destination)
    {
        var a = high + Vector256.LoadUnsafe(ref Unsafe.As<long, int>(ref bias)) + ((low - (high << 16)).AsUInt32() >> 16).AsInt32();
        var v = Vector256.ShiftRightArithmetic(a, q.Shift - 16);
        Vector256.Min(Vector256.Max(v, Vector256.Create((int)q.Min)), Vector256.Create((int)q.Max)).StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSplit(Vector128<int> low, Vector128<int> high, ref long bias, in Requantization q, ref int destination)
    {
        var (lower, upper) = PairWidening.Recover(low, high);
        StoreHalves(lower, upper, ref bias, q, ref destination);
    }

    /// <summary>Split sums whose low sum started at bl (<see cref="SplitBias"/>): A = high + bh + ((L + bl) &gt;&gt; 16), then A &gt;&gt; (s − 16), saturated, in Int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSplitBiased(Vector128<int> low, Vector128<int> high, ref long bias, in Requantization q, ref int destination)
    {
        var a = high + Vector128.LoadUnsafe(ref Unsafe.As<long, int>(ref bias)) + ((low - (high << 16)).AsUInt32() >> 16).AsInt32();
        var v = Vector128.ShiftRightArithmetic(a, q.Shift - 16);
        Vector128.Min(Vector128.Max(v, Vector128.Create((int)q.Min)), Vector128.Create((int)q.Max)).StoreUnsafe(ref destination);
    }
}
