namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// A burst of frame data: the FAR the engine starts it at, how long it is, where its words are in
/// the file, and the packet that carried it.
/// </summary>
/// <param name="HeaderOffset">Byte offset of the packet header that carried the data.</param>
/// <param name="HeaderType">1 or 2: Vivado always uses a type 2 packet after a type 1 FDRI header with no words.</param>
/// <param name="Session">Which sync session (1 = after the first sync word) wrote it.</param>
public sealed record FdriWrite(FrameAddress Far, int Words, long DataOffset, long HeaderOffset, int HeaderType, int Session)
{
    /// <summary>A frame is 101 words on every 7-series part (FORMAT-NOTES §7).</summary>
    public const int FrameWords = 101;

    public int Frames => Words / FrameWords;
}
