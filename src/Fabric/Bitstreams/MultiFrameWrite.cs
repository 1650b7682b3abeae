namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// A write to MFWR: the engine copies the frame it last loaded to the frame at the current FAR
/// (UG470 ch. 5, MFWR register). Modelled as a write of that one frame, the least it can do; dpr
/// never accepts one in a partial, so the exact effect only matters for what inspect shows and what
/// the simulated device marks as written.
/// </summary>
/// <param name="Offset">Byte offset of the MFWR packet header.</param>
public sealed record MultiFrameWrite(long Offset, FrameAddress Far);
