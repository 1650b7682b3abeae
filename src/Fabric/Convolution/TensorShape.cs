namespace Dpr.Fabric.Convolution;

/// <summary>Shape [N, C, H, W] of a dense row-major NCHW tensor.</summary>
public readonly record struct TensorShape(int N, int C, int H, int W)
{
    public long Count => (long)N * C * H * W;

    public int Index(int n, int c, int h, int w) => ((n * C + c) * H + h) * W + w;

    public override string ToString() => $"[{N}, {C}, {H}, {W}]";
}
