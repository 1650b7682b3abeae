namespace Dpr.Fabric.Convolution;

/// <summary>
/// The channel layout of a job: the zero-padded input is stored pixel-major, [Hp][Wp][Cp], where an
/// element holds <c>perElement</c> input channels (2 as an Int16 pair, or 1), and the weights as
/// [block][step][lane] with output channel block·Lanes + lane in lane. A step is one (tap, element)
/// pair; each step of each position is one broadcast input element times one weight vector, so every
/// lane does useful work whenever Cout fills the lanes, whatever the image width.
/// </summary>
internal readonly record struct ChannelGeometry(
    int N, int Cin, int H, int W, int Cout, int K, int S, int Pad, int Hout, int Wout, int Hp, int Wp, int Cp, int Lanes)
{
    /// <summary>Output positions per register tile, one accumulator vector each.</summary>
    public const int TilePositions = 8;

    public static ChannelGeometry Of(ConvProblem problem, int lanes, int perElement)
    {
        var spec = problem.Spec;
        var input = problem.InputShape;
        var pad = spec.Pad;
        return new ChannelGeometry(
            input.N, input.C, input.H, input.W, problem.OutputShape.C, spec.KernelSize, spec.Stride, pad,
            problem.OutputShape.H, problem.OutputShape.W, input.H + 2 * pad, input.W + 2 * pad,
            (input.C + perElement - 1) / perElement, lanes);
    }

    public int Positions => Hout * Wout;

    public int Steps => K * K * Cp;

    public int Blocks => (Cout + Lanes - 1) / Lanes;

    public int Tiles => (Positions + TilePositions - 1) / TilePositions;

    /// <summary>Work items of one image, block-major so that consecutive items share a block's weights.</summary>
    public int Items => Blocks * Tiles;

    /// <summary>Elements of one packed image (one digit).</summary>
    public int ImageSize => Hp * Wp * Cp;

    /// <summary>Per step (ky, kx, element), its distance from a position's first element.</summary>
    public int[] StepOffsets()
    {
        var offsets = new int[Steps];
        for (var ky = 0; ky < K; ky++)
        {
            for (var kx = 0; kx < K; kx++)
            {
                for (var cp = 0; cp < Cp; cp++)
                {
                    offsets[(ky * K + kx) * Cp + cp] = (ky * Wp + kx) * Cp + cp;
                }
            }
        }
        return offsets;
    }
}
