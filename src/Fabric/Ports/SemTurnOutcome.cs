namespace Dpr.Fabric.Ports;

public enum SemTurnOutcome
{
    /// <summary>SEM idle, the PCAP selected, the image written, the ICAP given back.</summary>
    Written,

    /// <summary>The turn was taken but the port's write failed; the ICAP was given back all the same.</summary>
    WriteFailed,

    /// <summary>The SEM controller did not idle in time (or cannot be reached): nothing was written, the PCAP never selected.</summary>
    SemNotIdle,
}
