namespace Dpr.Fabric.Convolution;

/// <summary>Everything one fast-kernel call shares between its worker threads.</summary>
internal sealed class ConvRun<TElem>
    where TElem : unmanaged
{
    public required ConvProblem Problem { get; init; }

    public required ConvGeometry Geometry { get; init; }

    /// <summary>Packed input planes of the current image: [digit][plane][ci][PlaneStride].</summary>
    public required TElem[] Planes { get; init; }

    /// <summary>Packed weights: [co][ci][tap].</summary>
    public required TElem[] Weights { get; init; }

    public required int Taps { get; init; }

    /// <summary>Per tap, the distance from a position to the element it reads in the digit's planes.</summary>
    public required int[] TapOffsets { get; init; }

    /// <summary>Elements of one digit's planes.</summary>
    public required int DigitSize { get; init; }

    /// <summary>Per digit, the left shift of its partial sums when added to the Int64 accumulator.</summary>
    public required int[] DigitShifts { get; init; }

    /// <summary>Input channels summed in Int32 lanes before they are flushed to Int64, proven not to overflow.</summary>
    public required int ChunkChannels { get; init; }

    public required Memory<int> Requantized { get; init; }

    public required Memory<long> Raw { get; init; }

    /// <summary>Output channels per register block.</summary>
    public const int Block = 4;

    public int Groups => (Geometry.Cout + Block - 1) / Block;

    public int Items => Geometry.Tiles * Groups;
}
