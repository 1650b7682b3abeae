namespace Dpr.Fabric.Convolution;

/// <summary>
/// How a register tile sums its products between flushes to Int64: one vector per accumulator
/// (<see cref="LaneSums{TVec, TElem, TLanes}"/>), or two for full-range int16 (<see cref="SplitPairSums{TVec, TLanes}"/>).
/// </summary>
internal interface IAccumulator<TSelf, TVec, TElem>
    where TSelf : struct, IAccumulator<TSelf, TVec, TElem>
    where TVec : struct
    where TElem : unmanaged
{
    /// <summary>Vector registers per accumulator: a tile with two cannot hold 16 of them.</summary>
    static abstract int Registers { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf MultiplyAdd(TSelf acc, TVec q, TVec w);

    /// <summary>destination[i] += sum[i] &lt;&lt; shift for every lane.</summary>
    static abstract void Flush(TSelf acc, int shift, ref long destination);
}
