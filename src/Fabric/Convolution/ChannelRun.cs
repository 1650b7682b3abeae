namespace Dpr.Fabric.Convolution;

/// <summary>Everything one channel-layout call shares between its worker threads.</summary>
internal sealed class ChannelRun<TElem>
    where TElem : unmanaged
{
    public required ConvProblem Problem { get; init; }

    public required ChannelGeometry Geometry { get; init; }

    /// <summary>Packed input of the current image: [digit][Hp][Wp][Cin], see <see cref="ChannelGeometry"/>.</summary>
    public required TElem[] Input { get; init; }

    /// <summary>Packed weights: [block][step][lane].</summary>
    public required TElem[] Weights { get; init; }

    /// <summary>Per step, in bytes (<see cref="ChannelGeometry.StepOffsets"/>).</summary>
    public required int[] StepOffsets { get; init; }

    /// <summary>Per digit, the left shift of its partial sums when added to the Int64 accumulator.</summary>
    public required int[] DigitShifts { get; init; }

    /// <summary>Steps summed in the lanes before they are flushed to Int64, proven not to overflow.</summary>
    public required int ChunkSteps { get; init; }

    /// <summary>Bias per output channel, zero past Cout: [Blocks · Lanes]; encoded (<see cref="IAccumulator{TVec, TElem}.EncodeBias"/>) for an accumulator with <see cref="IAccumulator{TVec, TElem}.EncodedBias"/>.</summary>
    public required long[] Bias { get; init; }

    public required Memory<int> Requantized { get; init; }

    public required Memory<long> Raw { get; init; }
}
