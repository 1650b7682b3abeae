namespace Dpr.Fabric.Convolution;

/// <summary>
/// How a register tile sums its products between flushes to Int64: in one vector per accumulator
/// (<see cref="LaneSums{TVec, TElem, TLanes}"/>), or in a low and a high vector for full-range int16
/// (<see cref="SplitPairSums{TVec, TLanes}"/>). The tile keeps both as plain vector locals, which the JIT
/// holds in registers (struct-typed accumulators made it spill the tile's input pointers); a sum that
/// never uses its high vector leaves it a constant zero, which compiles away.
/// </summary>
internal interface IAccumulator<TVec, TElem>
    where TVec : struct
    where TElem : unmanaged
{
    /// <summary>Vector registers per accumulator: a tile with two cannot hold 16 of them.</summary>
    static abstract int Registers { get; }

    static abstract TVec AddLow(TVec low, TVec q, TVec w);

    static abstract TVec AddHigh(TVec high, TVec q, TVec w);

    /// <summary>destination[i] += sum[i] &lt;&lt; shift for every lane.</summary>
    static abstract void Flush(TVec low, TVec high, int shift, ref long destination);

    /// <summary>Whether <see cref="Requantize"/> reads its bias <see cref="SplitBias"/>-encoded rather than as Int64 per lane.</summary>
    static abstract bool EncodedBias { get; }

    /// <summary>Per-lane Int64 biases (blocks of <paramref name="lanes"/>) rewritten in place as <see cref="Requantize"/> reads them, where <see cref="EncodedBias"/>.</summary>
    static abstract void EncodeBias(Span<long> bias, int lanes, int shift);

    /// <summary>
    /// What the low sums of a tile that finishes in registers (<see cref="Requantize"/>) start from: zero, or the part
    /// of the encoded bias that <see cref="Requantize"/> then no longer adds (<see cref="SplitBias"/>'s bl).
    /// </summary>
    static abstract TVec Start(ref long bias);

    /// <summary>destination[i] = saturate(round_shift(sum[i] + bias[i])) as Int32: a tile summed in one pass.</summary>
    static abstract void Requantize(TVec low, TVec high, ref long bias, in Requantization q, ref int destination);
}
