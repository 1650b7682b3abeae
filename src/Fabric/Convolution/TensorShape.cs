namespace Dpr.Fabric.Convolution;

/// <summary>Shape [N, C, H, W] of a dense row-major NCHW tensor.</summary>
public readonly record struct TensorShape(int N, int C, int H, int W)
{
    /// <summary>Elements, saturated at <see cref="long.MaxValue"/>: a shape whose product does not fit is never "small" (four ints can reach 2^124).</summary>
    public long Count
    {
        get
        {
            var count = (Int128)N * C * H * W;
            return count > long.MaxValue ? long.MaxValue : (long)count;
        }
    }

    public int Index(int n, int c, int h, int w) => ((n * C + c) * H + h) * W + w;

    public override string ToString() => $"[{N}, {C}, {H}, {W}]";
}
