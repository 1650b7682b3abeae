namespace Dpr.Fabric.Bitstreams;

/// <summary>Frames written one after another in FAR order, from <see cref="First"/> to <see cref="Last"/> inclusive.</summary>
public sealed record FrameRange(FrameAddress First, FrameAddress Last, int Frames)
{
    public override string ToString() => $"{First}..{Last} ({Frames} frames, {First.BlockType} {First.RowName} columns {First.Column}-{Last.Column})";
}
