namespace Dpr.Fabric.Convolution;

/// <summary>
/// How the fast kernel lays a job out. The zero-padded input is split by row parity when the stride is
/// 2 (and by column parity for single taps) into "planes" of width <see cref="Wq"/>, so that every tap
/// of every output position p = oy·Wq + ox is the plane element p + offset: a contiguous load for a
/// whole tile of positions, across output rows. Positions with ox ≥ Wout are computed and discarded.
/// </summary>
internal readonly record struct ConvGeometry(
    int N, int Cin, int H, int W, int Cout, int K, int S, int Pad, int Hout, int Wout, int Wq, int Hq, int TilePositions)
{
    public static ConvGeometry Of(ConvProblem problem, int tilePositions)
    {
        var spec = problem.Spec;
        var input = problem.InputShape;
        var pad = spec.Pad;
        var s = spec.Stride;
        var hp = input.H + 2 * pad;
        var wp = input.W + 2 * pad;
        return new ConvGeometry(
            input.N, input.C, input.H, input.W, problem.OutputShape.C, spec.KernelSize, s, pad,
            problem.OutputShape.H, problem.OutputShape.W, (wp + s - 1) / s, (hp + s - 1) / s, tilePositions);
    }

    /// <summary>Virtual output positions per image and channel, Wq per output row.</summary>
    public int Positions => Hout * Wq;

    public int Tiles => (Positions + TilePositions - 1) / TilePositions;

    /// <summary>
    /// Hq rows, one spare row, and a tile of slack: the furthest read, from the last tile at the largest
    /// offset, stays inside (Hout + (K − 1)/s ≤ Hq and (K − 1)/s &lt; Wq).
    /// </summary>
    public int PlaneStride => (Hq + 1) * Wq + TilePositions + 8;
}
