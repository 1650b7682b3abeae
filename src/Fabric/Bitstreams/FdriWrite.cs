namespace Dpr.Fabric.Bitstreams;

/// <summary>A burst of frame data: where it starts, how long it is, where its words are in the file.</summary>
public sealed record FdriWrite(FrameAddress Far, int Words, long DataOffset)
{
    /// <summary>A frame is 101 words on every 7-series part (FORMAT-NOTES §7).</summary>
    public const int FrameWords = 101;

    public int Frames => Words / FrameWords;
}
