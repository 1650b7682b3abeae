namespace Dpr.Fabric.Convolution;

/// <summary>How one lane family (Int16 pairs or Int64) lays out a job for <see cref="ChannelConvolution{TVec, TElem, TLanes}"/>.</summary>
internal interface IChannelPacking<TElem>
    where TElem : unmanaged
{
    /// <summary>Input values per broadcast element: 2 (an Int16 pair of consecutive window values) or 1 (an Int32).</summary>
    static abstract int PerElement { get; }

    /// <summary>How the job sums, from its value bounds and its packed weights.</summary>
    static abstract ChannelPlan Plan(ConvProblem problem, in ChannelGeometry g, TElem[] packedWeights);

    /// <summary>
    /// Rows [rowStart, rowEnd) of the padded image n in digit number d into <paramref name="packed"/>, pixel-major (see
    /// <see cref="ChannelGeometry"/>); <paramref name="transpose"/> lets it use <see cref="PixelTranspose"/>.
    /// </summary>
    static abstract void PackInput(ConvProblem problem, in ChannelGeometry g, PairDigit digit, int n, int rowStart, int rowEnd, Span<TElem> packed, bool transpose);
}
