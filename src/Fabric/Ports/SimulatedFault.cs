namespace Dpr.Fabric.Ports;

/// <summary>What the simulated device does wrong on one write.</summary>
public enum SimulatedFault
{
    /// <summary>Refuses the write before any frame is written.</summary>
    Fail,

    /// <summary>Never completes; the caller's timeout (cancellation) ends it, with the region in an unknown state.</summary>
    Hang,

    /// <summary>Writes part of the frames, then fails: the region is in an unknown state.</summary>
    PartialWrite,

    /// <summary>The stream arrives corrupted and the device reports a CRC error; the frames written are garbage.</summary>
    Corrupt,
}
