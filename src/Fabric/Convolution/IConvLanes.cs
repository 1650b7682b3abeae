namespace Dpr.Fabric.Convolution;

/// <summary>
/// One SIMD width and instruction set for the fast kernel. Two families implement it:
/// pair lanes (TElem = Int32 holding two Int16, low half first; <see cref="MultiplyAdd"/> is
/// <c>pmaddwd</c>: acc + lo(q)·lo(w) + hi(q)·hi(w) in Int32) for the int8/int16 modules, and wide
/// lanes (TElem = Int32, sign-extended to an Int64 lane by <see cref="Load"/> and <see cref="Broadcast"/>,
/// so packed planes and weights take half the memory; <see cref="MultiplyAdd"/> is <c>vpmuldq</c> + add,
/// wrapping modulo 2^64 as docs/convolution.md asks) for the int32 modules.
/// </summary>
internal interface IConvLanes<TVec, TElem>
    where TVec : struct
    where TElem : unmanaged
{
    /// <summary>Output positions per vector.</summary>
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(ref TElem source);

    static abstract TVec Broadcast(TElem value);

    static abstract TVec MultiplyAdd(TVec acc, TVec q, TVec w);

    /// <summary>destination[i] += (long)acc[i] &lt;&lt; shift for every lane.</summary>
    static abstract void Flush(TVec acc, int shift, ref long destination);
    /// <summary>destination[i] = (long)acc[i] &lt;&lt; shift for every lane: a tile's first flush, so its sums need no clearing.</summary>
    static abstract void Store(TVec acc, int shift, ref long destination);

    /// <summary>destination[i] = saturate(round_shift(acc[i] + bias[i])) as Int32 for every lane (see <see cref="LaneRequantization"/>).</summary>
    static abstract void Requantize(TVec acc, ref long bias, in Requantization q, ref int destination);
}
