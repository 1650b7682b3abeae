namespace Dpr.Fabric.Convolution;

/// <summary>Pair lanes that can also hand out a bare pair sum, for <see cref="SplitPairSums{TVec, TLanes}"/>.</summary>
internal interface IPairLanes<TVec> : IConvLanes<TVec, int>
    where TVec : struct
{
    /// <summary>lo(q)·lo(w) + hi(q)·hi(w) per Int32 lane (<c>pmaddwd</c>), wrapping modulo 2^32.</summary>
    static abstract TVec Multiply(TVec q, TVec w);

    static abstract TVec Add(TVec a, TVec b);

    /// <summary>v &gt;&gt; 16, arithmetic, per Int32 lane.</summary>
    static abstract TVec High(TVec v);

    /// <summary>destination[i] += 2^16·high[i] + (uint)(low[i] − 2^16·high[i]) per lane (see <see cref="SplitPairSums{TVec, TLanes}"/>).</summary>
    static abstract void FlushSplit(TVec low, TVec high, ref long destination);

    /// <summary>Split sums requantized as <see cref="IConvLanes{TVec, TElem}.Requantize"/> does.</summary>
    static abstract void RequantizeSplit(TVec low, TVec high, ref long bias, in Requantization q, ref int destination);

    /// <summary>Pair sums requantized in their Int32 lanes with a <see cref="NarrowBias"/>-encoded bias.</summary>
    static abstract void RequantizeNarrow(TVec acc, ref long bias, in Requantization q, ref int destination);

    /// <summary>Split sums requantized in Int32 lanes with a <see cref="SplitBias"/>-encoded bias.</summary>
    static abstract void RequantizeSplitBiased(TVec low, TVec high, ref long bias, in Requantization q, ref int destination);
}
